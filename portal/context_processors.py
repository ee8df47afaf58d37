def navigation(request):
    """The main menu: the home page's live children (the index pages), in tree order."""
    from wagtail.models import Site

    site = Site.find_for_request(request)
    if site is None:
        return {"nav_pages": []}
    return {"nav_pages": site.root_page.get_children().live().in_menu(), "nav_home": site.root_page}
