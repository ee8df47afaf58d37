from .crosswalks import Crosswalk, CrosswalkMapping
from .pages import FrameworkIndexPage, FrameworkPage, Provision

__all__ = ["Crosswalk", "CrosswalkMapping", "FrameworkIndexPage", "FrameworkPage", "Provision"]
