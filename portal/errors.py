"""Domain errors: raised by domain functions, with a message fit to show the user."""


class DomainError(Exception):
    """A rule of the depot refused the action; `field` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    pass
