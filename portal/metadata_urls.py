"""Feeds, sitemap.xml, robots.txt and citation downloads (included by ``portal/urls.py``)."""

from django.urls import path, re_path

from portal import feeds, metadata_views

urlpatterns = [
    path("robots.txt", metadata_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", metadata_views.sitemap, name="sitemap"),
    path("feeds/findings/", feeds.FindingFeed(), name="feed_findings"),
    path("feeds/lessons/", feeds.LessonFeed(), name="feed_lessons"),
    path("feeds/topics/<slug:slug>/", feeds.TopicFeed(), name="feed_topic"),
    path("feeds/frameworks/<slug:slug>/", feeds.FrameworkFeed(), name="feed_framework"),
    path("feeds/private/<str:secret>/", feeds.PrivateFeed(), name="feed_private"),
    re_path(
        r"^cite/(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(?P<fmt>bib|ris|json)$",
        metadata_views.cite,
        name="cite",
    ),
]
