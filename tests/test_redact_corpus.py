"""Every secret class of faults.md, embedded in real log-line context, is replaced by a typed placeholder."""

from __future__ import annotations

import hashlib

import pytest

from agent.logs.redact import redact

# Secret-shaped values are assembled at run time so no scanner mistakes this file for a leak.
ALNUM = "Q7wErT9yUi0pAs8dFg6hJk5lZx4cVb3nM2q1W" * 2
GHP = "ghp_" + ALNUM[:36]
GHP_LONG = "ghp_" + (ALNUM * 7)[:250]
GHO = "gho_" + ALNUM[1:37]
GHU = "ghu_" + ALNUM[2:38] + "abcd"
GHS = "ghs_" + ALNUM[3:39]
GHR = "ghr_" + (ALNUM * 2)[:76]
FINE_PAT = "github_pat_" + "11ABCDEFG0" + "abcdefghijkl" + "_" + (ALNUM * 2)[:59]
AKIA = "AKIA" + "IOSFODNN7EXAMPL2"
ASIA = "ASIA" + "Y34FZKBOKMUTVV7A"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
AWS_SECRET_2 = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvb" + "EXAMPLEKEY"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
    + ".eyJzdWIiOiJyZXBvOkFwcmEtTGFicy9BcHJhUGlwZXMifQ"
    + ".c2lnbmF0dXJlX2J5dGVzX2hlcmU"
)
SLACK_BOT = "xoxb-" + "2710583912-5234567890123-" + "aBcDeFgHiJkLmNoPqRsTuVwX"
SLACK_USER = "xoxp-" + "1234567890-0987654321-" + "1122334455-abcdef0123456789abcdef01234567"
SLACK_HOOK_PATH = "T0" + "1ABCDEFGH/B0" + "2ABCDEFGH/" + "abcdEFGHijklMNOPqrstUVWX"
NPM = "npm_" + ALNUM[:36]
PYPI = "pypi-AgEIcHlwaS5vcmc" + "CJDY4ZTBiYmQwLWNhZDEtNDU3NS1hYjM3LTM5ZDliMmE3NmM0ZQACKlsz" + "Zw1g"
ANTHROPIC = "sk-ant-api03-" + (ALNUM * 3)[:93] + "-Ab12CdAA"
OPENAI = "sk-proj-" + (ALNUM * 4)[:120]
OPENAI_LEGACY = "sk-" + (ALNUM * 2)[:48]
GOOGLE = "AIza" + "SyD" + "-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
GITLAB = "glpat-" + "xY3kP9mQ2rT5vW8zA1bC"
STRIPE = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXy3ZX"
STRIPE_2 = "rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
URL_PW = "s3cr3t-P4ss"
BASIC = "eC1hY2Nlc3MtdG9rZW46Z2hzX3Rva2VuMTIz"
BEARER = "abcDEF123456ghiJKL789"
GENERIC_PW = "Tr0ub4dor&3xyz"
GENERIC_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
DOCKER_AUTH = "YnVpbGRlcjpz" + "M2NyM3QtUDRzcw=="
AZURE_KEY = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy" + "YmF6cXV4Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="
MYSQL_PW = "S3cr3t" + "Passw0rd"
SLACK_APP = "xapp-" + "1-A0123456789-1234567890123-" + "abcdef0123456789abcdef0123456789abcdef0123456789"
QUOTED = "Xk9mQ2rT" + "5vW8zA1b"

CORPUS = [
    ("github-pat", f"2024-05-01T10:00:01.1234567Z GITHUB_TOKEN={GHP}", GHP),
    ("github-pat", f"remote: Invalid username or token {GHP_LONG} for 'https://github.com/'", GHP_LONG),
    ("github-oauth", f"gh auth status: Logged in with token {GHO}", GHO),
    ("github-oauth", f'{{"access_token":"{GHO}","token_type":"bearer"}}', GHO),
    ("github-user-token", f"export GH_TOKEN={GHU}", GHU),
    ("github-user-token", f"##[debug]user token {GHU} expires in 8h", GHU),
    ("github-app-token", f"git clone https://x-access-token:{GHS}@github.com/Apra-Labs/ApraPipes.git", GHS),
    ("github-app-token", f"[command]/usr/bin/git push https://x-access-token:{GHS}@github.com/o/r HEAD", GHS),
    ("github-refresh-token", f'{{"refresh_token": "{GHR}", "expires_in": 15811200}}', GHR),
    ("github-refresh-token", f"refresh={GHR} scope=repo", GHR),
    ("github-fine-grained-pat", f"export GITHUB_PAT={FINE_PAT}", FINE_PAT),
    ("github-fine-grained-pat", f"> Authorization: Bearer {FINE_PAT}", FINE_PAT),
    ("aws-access-key-id", f"AWS_ACCESS_KEY_ID={AKIA}", AKIA),
    ("aws-access-key-id", f"Credentials: {{AccessKeyId: {ASIA}, Expiration: 2024-05-01T11:00:00Z}}", ASIA),
    ("aws-secret-key", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    ("aws-secret-key", f'  "SecretAccessKey": "{AWS_SECRET_2}",', AWS_SECRET_2),
    ("jwt", f"ACTIONS_ID_TOKEN_REQUEST_TOKEN={JWT}", JWT),
    ("jwt", f"> Authorization: Bearer {JWT}", JWT),
    (
        "slack-token",
        f"curl -H 'Authorization: Bearer {SLACK_BOT}' https://slack.com/api/chat.postMessage",
        SLACK_BOT,
    ),
    ("slack-token", f"SLACK_USER_TOKEN={SLACK_USER}", SLACK_USER),
    ("slack-webhook", f"Posting to https://hooks.slack.com/services/{SLACK_HOOK_PATH}", SLACK_HOOK_PATH),
    ("slack-webhook", f'webhook_url: "https://hooks.slack.com/services/{SLACK_HOOK_PATH}"', SLACK_HOOK_PATH),
    ("npm-token", f"//registry.npmjs.org/:_authToken={NPM}", NPM),
    ("npm-token", f"npm notice Publishing with {NPM}", NPM),
    ("pypi-token", f"twine upload -u __token__ -p {PYPI} dist/*", PYPI),
    ("pypi-token", f"TWINE_PASSWORD={PYPI}", PYPI),
    ("anthropic-key", f"ANTHROPIC_API_KEY={ANTHROPIC}", ANTHROPIC),
    ("anthropic-key", f"> x-api-key: {ANTHROPIC}", ANTHROPIC),
    ("openai-key", f"OPENAI_API_KEY={OPENAI}", OPENAI),
    (
        "openai-key",
        f"openai.AuthenticationError: Incorrect API key provided: {OPENAI_LEGACY}.",
        OPENAI_LEGACY,
    ),
    (
        "google-api-key",
        f"GET https://maps.googleapis.com/maps/api/geocode/json?key={GOOGLE}&address=x",
        GOOGLE,
    ),
    ("google-api-key", f"firebase: apiKey: '{GOOGLE}'", GOOGLE),
    ("gitlab-token", f"PRIVATE-TOKEN: {GITLAB}", GITLAB),
    ("gitlab-token", f"git remote add gl https://oauth2:{GITLAB}@gitlab.com/group/proj.git", GITLAB),
    ("stripe-key", f"stripe.api_key = '{STRIPE}'", STRIPE),
    ("stripe-key", f"STRIPE_RESTRICTED={STRIPE_2}", STRIPE_2),
    ("url-credential", f"Cloning into 'x'... https://builder:{URL_PW}@nexus.example.com/repo.git", URL_PW),
    (
        "url-credential",
        f"pip install --index-url https://__token__:{URL_PW}@pypi.internal/simple pkg",
        URL_PW,
    ),
    ("authorization", f"> Authorization: Basic {BASIC}", BASIC),
    ("authorization", f'curl -H "Authorization: Bearer {BEARER}" https://api.example.com/v1', BEARER),
    ("generic-secret", f"docker login --password={GENERIC_PW} registry.example.com", GENERIC_PW),
    ("generic-secret", f"DB_PASSWORD: {GENERIC_PW}", GENERIC_PW),
    ("generic-secret", f"SONAR_TOKEN={GENERIC_TOKEN}", GENERIC_TOKEN),
    ("generic-secret", f'{{"api_key": "{GENERIC_TOKEN}"}}', GENERIC_TOKEN),
    # issue 14, attack 6: forms that leaked
    ("aws-secret-key", f"aws_secret_access_key {AWS_SECRET}", AWS_SECRET),
    ("aws-secret-key", f"+ aws configure set aws_secret_access_key {AWS_SECRET_2}", AWS_SECRET_2),
    ("docker-auth", f'{{"auths": {{"ghcr.io": {{"auth": "{DOCKER_AUTH}"}}}}}}', DOCKER_AUTH),
    ("docker-auth", f'cat ~/.docker/config.json: {{"auths":{{"https://index.docker.io/v1/":{{"auth":"{DOCKER_AUTH}"}}}}}}',
     DOCKER_AUTH),
    ("cli-password", f"mysql -uroot -p{MYSQL_PW} -h 127.0.0.1 -e 'SELECT 1'", MYSQL_PW),
    ("cli-password", f"+ mysqldump -u backup -p {MYSQL_PW} appdb > dump.sql", MYSQL_PW),
    ("url-credential", f"git clone https://:{URL_PW}@git.example.com/o/r.git", URL_PW),
    ("url-credential", f"fatal: unable to access 'https://:{URL_PW}@git.example.com/o/r.git/'", URL_PW),
    ("azure-storage-key", (f"DefaultEndpointsProtocol=https;AccountName=apra;AccountKey={AZURE_KEY};"
                          "EndpointSuffix=core.windows.net"), AZURE_KEY),
    ("azure-storage-key", f"az storage blob upload --connection-string 'AccountKey={AZURE_KEY}'", AZURE_KEY),
    ("slack-token", f"SLACK_APP_TOKEN={SLACK_APP}", SLACK_APP),
    ("slack-token", f"socket mode: connecting with {SLACK_APP}", SLACK_APP),
    # caught by detect-secrets (the maintained rule set) where our own rules are silent
    ("high-entropy-secret", f'password is "{QUOTED}"', QUOTED),
    ("high-entropy-secret", f'PASSWORD:="{QUOTED}"', QUOTED),
]

PEM_CASES = [
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + PEM_BODY
    + "\n"
    + PEM_BODY[::-1]
    + "\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + PEM_BODY + "\\n-----END OPENSSH PRIVATE KEY-----",
    "2024-05-01T10:00:00.1Z -----BEGIN PRIVATE KEY-----\n2024-05-01T10:00:00.2Z "
    + PEM_BODY
    + "\n2024-05-01T10:00:00.3Z -----END PRIVATE KEY-----",
]


def hash4(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:4]


@pytest.mark.parametrize(
    ("kind", "line", "secret"), CORPUS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CORPUS)]
)
def test_secret_in_log_line_is_replaced_by_typed_placeholder(kind, line, secret):
    redacted, count = redact(line)
    assert secret not in redacted
    assert f"[REDACTED:{kind}#{hash4(secret)}]" in redacted
    assert count >= 1


@pytest.mark.parametrize("block", PEM_CASES)
def test_private_key_block_is_redacted_whole(block):
    redacted, count = redact(f"Writing deploy key:\n{block}\nDone.")
    assert PEM_BODY not in redacted and PEM_BODY[::-1] not in redacted
    assert "PRIVATE KEY-----" not in redacted
    assert "[REDACTED:private-key#" in redacted and count == 1
    assert redacted.startswith("Writing deploy key:\n") and redacted.endswith("\nDone.")


def test_truncated_private_key_without_end_line_is_still_redacted():
    redacted, _ = redact("-----BEGIN EC PRIVATE KEY-----\n" + PEM_BODY + "\n" + PEM_BODY)
    assert PEM_BODY not in redacted and "[REDACTED:private-key#" in redacted


def test_every_secret_class_of_the_faults_table_is_in_the_corpus():
    kinds = {kind for kind, _, _ in CORPUS} | {"private-key"}
    expected = {
        "github-pat",
        "github-oauth",
        "github-user-token",
        "github-app-token",
        "github-refresh-token",
        "github-fine-grained-pat",
        "aws-access-key-id",
        "aws-secret-key",
        "private-key",
        "jwt",
        "slack-token",
        "slack-webhook",
        "npm-token",
        "pypi-token",
        "anthropic-key",
        "openai-key",
        "google-api-key",
        "gitlab-token",
        "stripe-key",
        "url-credential",
        "authorization",
        "generic-secret",
        "docker-auth",
        "cli-password",
        "azure-storage-key",
        "high-entropy-secret",
    }
    assert kinds == expected
    assert all(sum(k == kind for k, _, _ in CORPUS) >= 2 for kind in expected - {"private-key"})


def test_repeated_secret_gets_the_same_placeholder_so_lines_correlate():
    redacted, count = redact(f"push {GHP}\nretry push {GHP}\nother {GHO}")
    placeholder = f"[REDACTED:github-pat#{hash4(GHP)}]"
    assert redacted.count(placeholder) == 2 and count == 3


def test_curl_verbose_output_keeps_headers_readable():
    log = "\n".join(
        [
            "> GET /repos/Apra-Labs/ApraPipes/actions/runs HTTP/2",
            "> Host: api.github.com",
            f"> Authorization: token {GHP}",
            "> User-Agent: curl/8.5.0",
            "< HTTP/2 401",
        ]
    )
    redacted, count = redact(log)
    assert GHP not in redacted and count == 1
    assert "> Authorization: token [REDACTED:github-pat#" in redacted
    assert "> Host: api.github.com" in redacted and "< HTTP/2 401" in redacted


def test_env_dump_redacts_each_secret_and_keeps_plain_variables():
    dump = "\n".join(
        [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin",
            f"AWS_ACCESS_KEY_ID={ASIA}",
            f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
            f"AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQ{ALNUM}",
            "RUNNER_OS=Linux",
            "VCPKG_DEFAULT_BINARY_CACHE=/home/runner/.cache/vcpkg",
        ]
    )
    redacted, count = redact(dump)
    assert ASIA not in redacted and AWS_SECRET not in redacted and ALNUM not in redacted
    assert count == 3
    assert "RUNNER_OS=Linux" in redacted and "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin" in redacted
