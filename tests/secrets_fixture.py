"""Realistic secret shapes for the scrubbing tests: what must never leave the process.

Each :class:`Secret` has the ``value`` that must not appear in any exported byte or output
line, and ``text``: the value as it shows up in real messages (a DSN, a header line, prose).
The values are made up but follow each provider's published format.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SECRETS", "Secret", "assert_no_secret_in"]


@dataclass(frozen=True)
class Secret:
    name: str
    value: str
    text: str


_PEM_LINE = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFubiIsImlhdCI6MTUxNjIzOTAyMn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

SECRETS: tuple[Secret, ...] = (
    Secret(
        "github classic token",
        "ghp_R8x2LmQ7vTz9KpW3nY6cB1dF4hJ0sA5eG7uI",
        "push failed with ghp_R8x2LmQ7vTz9KpW3nY6cB1dF4hJ0sA5eG7uI",
    ),
    Secret(
        "github fine-grained token",
        "github_pat_11AB2CD3E0aBcDeFgHiJkLmN_oPqRsTuVwXyZ0123456789abcdefGHIJKLmnopQRS",
        "GH_TOKEN=github_pat_11AB2CD3E0aBcDeFgHiJkLmN_oPqRsTuVwXyZ0123456789abcdefGHIJKLmnopQRS",
    ),
    Secret(
        "slack bot token",
        "xoxb-2048613579-4096172839-Qm7Zr2Tx9Lp4Kv8Nw3",
        "slack said invalid_auth for xoxb-2048613579-4096172839-Qm7Zr2Tx9Lp4Kv8Nw3",
    ),
    Secret(
        "slack webhook",
        "T024BE7LD/B01J2K3L4M5/Xy7Zq9Wv3Ut5Sr1Po8Nm6Lk4",
        "POST https://hooks.slack.com/services/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",
    ),
    Secret(
        "stripe secret key",
        "sk_live_51H8Zq2LkP9mN3xR7vT1wY4bC6dF0gJ",
        "stripe.api_key set to sk_live_51H8Zq2LkP9mN3xR7vT1wY4bC6dF0gJ",
    ),
    Secret(
        "stripe restricted key",
        "rk_live_51H8Zq2LkP9mN3xR7vT1wY4bRsT0gJ",
        "charge with rk_live_51H8Zq2LkP9mN3xR7vT1wY4bRsT0gJ failed",
    ),
    Secret(
        "aws access key id",
        "AKIAQ3EGRT5YH7MXKL2P",
        "boto3 client for AKIAQ3EGRT5YH7MXKL2P denied",
    ),
    Secret(
        "aws secret access key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCY8EXAMPLEKEY",
        "credentials AKIAQ3EGRT5YH7MXKL2P wJalrXUtnFEMI/K7MDENG/bPxRfiCY8EXAMPLEKEY rejected",
    ),
    Secret(
        "openai project key",
        "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5hJ7kL9",
        "OpenAI(api_key='sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5hJ7kL9')",
    ),
    Secret(
        "anthropic key",
        "sk-ant-api03-Zx8Cv7Bn6Mq5Wr4Et3Yu2Io1Pa0Sd9Fg8Hj7Kl6",
        "auth header x-api-key sk-ant-api03-Zx8Cv7Bn6Mq5Wr4Et3Yu2Io1Pa0Sd9Fg8Hj7Kl6 rejected",
    ),
    Secret(
        "google api key",
        "AIzaSyD4f8Gh2Jk6Lm0Np4Qr8St2Uv6Wx0Yz3Ab",
        "maps request https://maps.example/geo?key=AIzaSyD4f8Gh2Jk6Lm0Np4Qr8St2Uv6Wx0Yz3Ab",
    ),
    Secret(
        "google oauth token",
        "ya29.a0AfH6SMBx7Kq2Lm9Np4Rs8Tv3Wy6Zb1Cd5Ef",
        "refresh returned ya29.a0AfH6SMBx7Kq2Lm9Np4Rs8Tv3Wy6Zb1Cd5Ef",
    ),
    Secret("jwt", _JWT, f"session {_JWT} expired"),
    Secret(
        "postgres dsn password",
        "Tr0ub4dor-and-3x",
        "could not connect to postgresql://app:Tr0ub4dor-and-3x@db.internal:5432/app",
    ),
    Secret(
        "redis url password",
        "r3d1s-P4ss@word",
        "redis://:r3d1s-P4ss@word@cache:6379/0 refused",
    ),
    Secret(
        "pem private key",
        _PEM_LINE,
        f"-----BEGIN PRIVATE KEY-----\n{_PEM_LINE}\n{_PEM_LINE[::-1]}\n-----END PRIVATE KEY-----",
    ),
    Secret("visa card grouped", "4111 1111 1111 1111", "charge card 4111 1111 1111 1111 declined"),
    Secret("mastercard plain", "5555555555554444", "pan=5555555555554444 exp 12/29"),
    Secret("amex dashed", "3782-822463-10005", "card 3782-822463-10005 on file"),
    Secret("prose password", "hunter2Zebra", "login failed: password hunter2Zebra is wrong"),
    Secret("prose password colon", "CorrectHorse9", "reset done, new password: CorrectHorse9"),
    Secret("passwd pair", "s3cr3t-passwd-77", "mysql -u root passwd=s3cr3t-passwd-77"),
    Secret("secret is", "opensesame-4471", "the shared secret is opensesame-4471"),
    Secret(
        "bearer opaque token",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0Zz",
        "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0Zz",
    ),
    Secret(
        "basic credentials",
        "YWRtaW46c3VwZXJzZWNyZXQ=",
        "Authorization: Basic YWRtaW46c3VwZXJzZWNyZXQ=",
    ),
    Secret(
        "gitlab token",
        "glpat-Xy7Zq9Wv3Ut5Sr1Po8Nm",
        "git clone https://oauth2:glpat-Xy7Zq9Wv3Ut5Sr1Po8Nm@gitlab.example/x.git",
    ),
    Secret(
        "npm token",
        "npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",
        "//registry/:_authToken npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",
    ),
    Secret(
        "sendgrid key",
        "SG.Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op.Qr8St9Uv0Wx1Yz2Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0Qr1St2",
        "mail via SG.Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op.Qr8St9Uv0Wx1Yz2Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0Qr1St2",
    ),
    Secret(
        "api key pair",
        "k-7d3f9a2b8c1e4f6a",
        "retrying https://api.partner.example/v2/items?page=3&api_key=k-7d3f9a2b8c1e4f6a",
    ),
)


def assert_no_secret_in(**places: str | bytes) -> None:
    """Fail naming the secret and the place when any :data:`SECRETS` value is in one of
    ``places`` (decoded text, or raw bytes such as encoded protobufs)."""
    for place, content in places.items():
        text = content.decode(errors="replace") if isinstance(content, bytes) else content
        for secret in SECRETS:
            assert secret.value not in text, f"{secret.name} in {place}"
