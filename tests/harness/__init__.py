"""The network lab: several test hosts on one machine (see :mod:`tests.harness.netns`)."""

from tests.harness.netns import Attachment, Host, Lab, Lan, lab_unusable_reason

__all__ = ["Attachment", "Host", "Lab", "Lan", "lab_unusable_reason"]
