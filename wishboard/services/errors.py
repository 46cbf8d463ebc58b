"""The one error a service raises when a rule refuses what was asked."""


class DomainError(Exception):
    """A change a rule refuses, for a reason the person can fix.

    `message` says why, in the person's language; `field` names the form field at fault (None
    when the whole request is refused); `problems` lists every problem found at once, this one
    first, so that a form can show them all. Views turn it into a form error, a 4xx fragment or
    a flash; each service's subclass only names its family of refusals.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems: list[DomainError] = [self]
