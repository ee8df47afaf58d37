from .crosswalks import Crosswalk, CrosswalkMapping
from .pages import FrameworkIndexPage, FrameworkPage, Provision, provision_anchor

__all__ = ["Crosswalk", "CrosswalkMapping", "FrameworkIndexPage", "FrameworkPage", "Provision", "provision_anchor"]
