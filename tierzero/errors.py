"""One base for every domain error; the HTTP status lives on the class, mapped in api/errors.py."""


class TierZeroError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TierZeroError):
    status_code = 404


class Conflict(TierZeroError):
    status_code = 409


class Forbidden(TierZeroError):
    status_code = 403


class Unauthorized(TierZeroError):
    status_code = 401


class InvalidInput(TierZeroError):
    status_code = 400


class PayloadTooLarge(TierZeroError):
    status_code = 413


class TooManyRequests(TierZeroError):
    status_code = 429


class ServiceUnavailable(TierZeroError):
    status_code = 503
