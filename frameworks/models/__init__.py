from .crosswalks import Crosswalk, CrosswalkMapping
from .history import FrameworkVersion, ProvisionChange, Timeline
from .pages import FrameworkIndexPage, FrameworkPage, Provision

__all__ = [
    "Crosswalk",
    "CrosswalkMapping",
    "FrameworkIndexPage",
    "FrameworkPage",
    "FrameworkVersion",
    "Provision",
    "ProvisionChange",
    "Timeline",
]
