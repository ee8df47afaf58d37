"""Settings for the portal. Every value that differs between machines comes from the environment.

See README.md ("Configuration") for the variables and their defaults.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

# Where the embedded defaults keep their state: the SQLite file, the search index, uploads.
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def _secret_key():
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        # No key: commands that sign nothing (migrate, makemigrations, import_records) still run;
        # anything that signs (sessions, CSRF, password reset) raises Django's ImproperlyConfigured,
        # and portal/wsgi.py refuses to serve at all.
        return ""
    # Local development only: a random key kept in var/ so sessions survive restarts.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "portal",
    "frameworks",
    "findings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivateWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))

# Complex page models (a framework with hundreds of provisions) exceed Django's default of 1,000.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "portal@localhost")
# SMTP, when DJANGO_EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)

# Webhooks (portal/services/webhooks.py): sent over HTTPS to public addresses only. Allowing
# private addresses is for a closed network (and the tests); an extra CA file lets the portal trust
# a private certificate authority.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("PORTAL_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOKS_CA_FILE = os.environ.get("PORTAL_WEBHOOKS_CA_FILE", "")
WEBHOOK_TIMEOUT = float(os.environ.get("PORTAL_WEBHOOK_TIMEOUT", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("PORTAL_WEBHOOK_MAX_ATTEMPTS", "8"))

# Wagtail
WAGTAIL_SITE_NAME = os.environ.get("PORTAL_SITE_NAME", "AI Safety Governance Portal")
WAGTAILADMIN_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
# Uploads are served only by the portal, which applies the record rule (portal/files.py): documents
# through Wagtail's view, never straight from MEDIA_ROOT; images only as renditions, whose
# addresses lead through the portal too. Never publish MEDIA_ROOT on a web server.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILIMAGES_RENDITION_STORAGE = "portal.rendition_storage.RenditionStorage"
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_I18N_ENABLED = False
TAGGIT_CASE_INSENSITIVE = True

# Search: one index shared by the admin, Page.objects.search() and the public search.
# SEARCH_BACKEND names a modelsearch backend module; SEARCH_INDEX_PATH is the folder of a
# file-based backend (ignored by the database backends).
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": os.environ.get("SEARCH_BACKEND", "portal.search.whoosh"),
        "PATH": os.environ.get("SEARCH_INDEX_PATH", str(VAR_DIR / "search-index")),
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # For modelsearch's database backend on PostgreSQL: English stems with accents folded
    # ("Tramer" finds "Tramèr"), a text search configuration made by migration 0013.
    WAGTAILSEARCH_BACKENDS["default"]["SEARCH_CONFIG"] = "portal_english"

# How many records an index page lists at a time.
PORTAL_PAGE_SIZE = int(os.environ.get("PORTAL_PAGE_SIZE", "20"))

# Seconds the public pages keep search matches, facet counts and the heavy parts of record pages
# in the cache at most (portal/caching.py; any change to a record renews them at once). 0: never.
PORTAL_CACHE_SECONDS = int(os.environ.get("PORTAL_CACHE_SECONDS", "300"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# The records `make run` loads (manage.py load_demo): a file or folder in docs/data-format.md.
PORTAL_DEMO_DATA = os.environ.get("PORTAL_DEMO_DATA", str(BASE_DIR / "data" / "curated"))

# Security and partner accounts
# Passwords are hashed with Argon2; repeated failed sign-ins lock the account and address out
# for a while (django-axes); pages send a strict Content-Security-Policy (django-csp).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]
AXES_FAILURE_LIMIT = int(os.environ.get("PORTAL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("PORTAL_LOGIN_COOLOFF_HOURS", "1"))
# Lock out (account, client address) pairs, so failures from one address never lock the account's
# owner out elsewhere; the address is the one every part of the portal reads (portal/clients.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "portal.clients.client_ip"
AXES_RESET_ON_SUCCESS = True
# A wrong password during a lock-out is refused without restarting the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = int(os.environ.get("PORTAL_SESSION_HOURS", "12")) * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Reverse proxies in front of the portal: how many there are, each appending the address it was
# called from to X-Forwarded-For (portal/clients.py). 0: the header is ignored, the client is the
# connecting address. Throttles, the sign-in lock-out and the audit log all read it.
PORTAL_TRUSTED_PROXIES = int(os.environ.get("PORTAL_TRUSTED_PROXIES", "0"))
if PORTAL_TRUSTED_PROXIES < 0:
    raise ValueError("PORTAL_TRUSTED_PROXIES is the number of proxies in front of the portal: 0 or more.")

# Served over HTTPS (behind a proxy that sets X-Forwarded-Proto): secure cookies, redirects, HSTS.
PORTAL_HTTPS = env_bool("PORTAL_HTTPS", False)
if PORTAL_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("PORTAL_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("PORTAL_HSTS_PRELOAD", True)

CONTENT_SECURITY_POLICY = {
    # The Wagtail and Django admins and the API's interactive docs use inline scripts of their own.
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/v1/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Fictional sample records and partner accounts that show the sharing levels (load_demo).
# Set to an empty value to skip them.
PORTAL_SAMPLE_DATA = os.environ.get("PORTAL_SAMPLE_DATA", str(BASE_DIR / "data" / "samples"))

# API
# The REST API under /api/v1/ (portal/api/, docs/api.md): Django REST framework, an OpenAPI
# schema with offline docs (drf-spectacular and its sidecar), CORS for read-only calls from any
# origin, JSON errors under /api/, throttling per client. Rates are like "120/minute"; an empty
# value switches that throttle off. Throttle counts live in the default cache (per process unless
# CACHES names a shared one).
INSTALLED_APPS += [
    app
    for app in ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "corsheaders"]
    if app not in INSTALLED_APPS
]
MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")
MIDDLEWARE.append("portal.api.errors.ApiErrorMiddleware")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.tokens.PartnerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.http.AnonThrottle", "portal.api.http.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "600/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI Safety Governance Portal API",
    "DESCRIPTION": "Read-only access to frameworks, findings and lessons, their links, search, "
    "taxonomies, crosswalks and a change feed for keeping copies in sync. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["portal.api.schema.only_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.empty_means_absent",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
# Change-log entries younger than this wait for the next poll of the change feed, so that one
# whose transaction committed late is never skipped.
# Background tasks (django-tasks), such as search index updates. With PORTAL_TASK_WORKER=1 they
# go to a queue in the database, written in the same transaction as the change (so a rollback
# queues nothing), and `manage.py task_worker` runs them (`make run` starts one beside the site).
# Without it they run in the web process once the transaction that enqueued them commits
# (portal/services/tasks.py). Either way an index update reads the record as committed.
if env_bool("PORTAL_TASK_WORKER", False):
    TASKS = {"default": {"BACKEND": "portal.services.tasks.QueuedBackend"}}
else:
    TASKS = {"default": {"BACKEND": "portal.services.tasks.AfterCommitBackend"}}
TASKS_AFTER_COMMIT = True
# Imports and exports started in the admin (portal/exchange/jobs.py): jobs, their uploaded files
# and their .zip files are deleted this many days after they were started.
PORTAL_EXCHANGE_KEEP_DAYS = int(os.environ.get("PORTAL_EXCHANGE_KEEP_DAYS", "7"))

API_CHANGES_SETTLE_SECONDS = float(os.environ.get("API_CHANGES_SETTLE_SECONDS", "2"))

# Feeds and sitemap
# sitemap.xml is rendered with django.contrib.sitemaps' own template, which is found only when the
# app is installed. The Atom feeds (django.contrib.syndication) need no app entry.
INSTALLED_APPS += ["django.contrib.sitemaps"]
