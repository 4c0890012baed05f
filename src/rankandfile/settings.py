"""Django settings, configured from the environment only.

``RANKANDFILE_ENV`` picks the profile: ``development`` (default: ``make demo``), ``test``
(the test suite) or ``production`` (secure cookies, HSTS, SSL redirect, a required
``SECRET_KEY``; passes ``check --deploy``). See docs/configuration.md for every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("RANKANDFILE_VAR_DIR", PROJECT_DIR / "var"))

# pytest (8.2+) exports PYTEST_VERSION: test runs get the test profile by default.
ENV = os.environ.get("RANKANDFILE_ENV", "test" if "PYTEST_VERSION" in os.environ else "development")
if ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"RANKANDFILE_ENV must be development, test or production, not {ENV!r}"
    )
PRODUCTION = ENV == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", ENV == "development")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production")
    # Development and tests only: a fixed, clearly-insecure key.
    SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20

# The audit log's seal (core.sealing, decision 0015): an HMAC key kept outside the database,
# so someone who can write to the database cannot forge, rewrite or truncate the log unseen.
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", "")
AUDIT_HMAC_KEY_ID = os.environ.get("AUDIT_HMAC_KEY_ID", "k1").strip()
AUDIT_INSECURE_KEY_ID = "insecure-dev"
if not AUDIT_HMAC_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY must be set in the environment in production (at least 32 "
            "characters, kept off the database server): it seals the audit log"
        )
    # Development and tests only: a fixed, clearly-insecure key under its own id, so
    # entries sealed with it are never mistaken for production ones.
    AUDIT_HMAC_KEY = "insecure-development-audit-key-never-use-in-production"
    AUDIT_HMAC_KEY_ID = AUDIT_INSECURE_KEY_ID
elif PRODUCTION and len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be at least 32 characters long")
# Retired keys, still needed to verify entries sealed with them: "id:key,id:key".
AUDIT_HMAC_PREVIOUS_KEYS = os.environ.get("AUDIT_HMAC_PREVIOUS_KEYS", "")

# Who receives the periodic email of the audit log head besides the scrutineers: e.g. an
# independent mailbox outside the party's systems (audit_publish_head).
AUDIT_HEAD_RECIPIENTS = env_list("AUDIT_HEAD_RECIPIENTS", "")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Reverse proxies whose X-Forwarded-For names the client (core.proxy; addresses or CIDRs).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "ninja",
    "rankandfile.core",
    "rankandfile.membership",
    "rankandfile.ballots",
    "rankandfile.conference",
    "rankandfile.accountability",
    "rankandfile.selections",
    "rankandfile.campaigns",
    "rankandfile.meetings",
    "rankandfile.privacy",
    "rankandfile.elections",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but for security: every response, error pages included, gets the policy.
    "csp.middleware.CSPMiddleware",
    "rankandfile.core.limits.JsonBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language comes from the cookie set by set_language
    # (or Accept-Language); docs/decisions/0027-welsh.md.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rankandfile.core.middleware.RequestContextMiddleware",
    # Roles that read member records, manage ballots or scrutinise need two factors.
    "rankandfile.core.mfa.RequireMFAMiddleware",
]

if PRODUCTION:
    # Serve collected static files from the WSGI app (after SecurityMiddleware and the
    # Content-Security-Policy, so static files carry the header too).
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "rankandfile.urls"
WSGI_APPLICATION = "rankandfile.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rankandfile.core.context_processors.site",
                "rankandfile.core.mfa.banner",
                "rankandfile.membership.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'rankandfile.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    _sqlite_name = str(DATABASES["default"]["NAME"])
    if _sqlite_name and _sqlite_name != ":memory:" and not _sqlite_name.startswith("file:"):
        # A fresh clone has no var/: the embedded database's folder is made on first use.
        Path(_sqlite_name).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE avoids "database is locked" upgrades under concurrent writers.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# --- Authentication (django-allauth) --------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # National admins (NEC) hold every model permission in the Django admin, by role.
    "rankandfile.membership.auth_backends.NationalAdminBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
# Members are created from the membership system, not by self-service sign-up.
ACCOUNT_ADAPTER = "rankandfile.core.auth.AccountAdapter"
# Failed sign-ins are limited per address and per (address, account) pair — the adapter
# folds the client address into allauth's "key" — never per account alone, so nobody
# elsewhere can lock the owner out by failing on purpose (docs/security.md).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/5m/ip,5/5m/key",
    "reset_password": "5/m/ip,3/m/key",
    "login": "30/m/ip",
    # Asking for a member account activation link (membership.accounts.request_link).
    "activation_request": "10/m/ip,3/h/key",
    # Wrong room codes at a meeting's self check-in (meetings.views): per member, and per
    # meeting against guessing from many accounts (a code is 6 digits, meetings last hours).
    "meetings_check_in_member": "5/10m/key",
    "meetings_check_in_meeting": "60/10m/key",
}
# Member account activation emails (membership.accounts; decision 0024).
ACCOUNT_EMAILS_PER_SECOND = float(os.environ.get("ACCOUNT_EMAILS_PER_SECOND", "10"))
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Rank and File"
MFA_RECOVERY_CODE_COUNT = 10
# Days an officer who must use two-factor authentication may still work without it,
# counted from the first request after the requirement began (core.mfa).
MFA_GRACE_DAYS = int(os.environ.get("MFA_GRACE_DAYS", "7"))
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Caches (rate limits need a shared cache; database cache works across workers) ----
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "rankandfile_cache",
    }
    if PRODUCTION or env_bool("SHARED_CACHE", False)
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Background tasks (django-tasks) --------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if ENV != "production"
            else "django_tasks_db.DatabaseBackend",
        ),
    }
}

# Task workers (`rankandfile task_worker`) write a heartbeat; the health endpoint and
# officers' pages report queued work nobody is doing (docs/configuration.md, decision 0011).
TASKS_HEARTBEAT_SECONDS = float(os.environ.get("TASKS_HEARTBEAT_SECONDS", "15"))
TASKS_WORKER_STALE_SECONDS = float(os.environ.get("TASKS_WORKER_STALE_SECONDS", "90"))
TASKS_QUEUE_STALE_SECONDS = float(os.environ.get("TASKS_QUEUE_STALE_SECONDS", "300"))


# --- Email ----------------------------------------------------------------------------
def email_backend(provider: str, explicit: str | None, env: str) -> str:
    """The email backend: ``EMAIL_BACKEND`` if set; else SMTP (``EMAIL_PROVIDER`` empty or
    ``smtp``) or an email provider's API through django-anymail (``EMAIL_PROVIDER`` is
    the provider's anymail name: ``amazon_ses``, ``mailgun``, ``postmark``, ``sendgrid``,
    ``brevo``...). Outside production, SMTP means the console (development) or memory
    (tests) unless ``EMAIL_BACKEND`` says otherwise."""
    import importlib.util
    import re

    provider = provider.strip().lower()
    if provider in ("", "smtp"):
        if explicit:
            return explicit
        if env == "production":
            return "django.core.mail.backends.smtp.EmailBackend"
        if env == "test":
            return "django.core.mail.backends.locmem.EmailBackend"
        return "django.core.mail.backends.console.EmailBackend"
    if explicit:
        raise ImproperlyConfigured("set EMAIL_PROVIDER or EMAIL_BACKEND, not both")
    module = f"anymail.backends.{provider}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", provider) or provider in ("base", "test"):
        raise ImproperlyConfigured(f"EMAIL_PROVIDER {provider!r} is not an email provider")
    if importlib.util.find_spec(module) is None:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER {provider!r} is not a provider django-anymail supports "
            "(see its documentation for the names)"
        )
    return f"{module}.EmailBackend"


EMAIL_PROVIDER = os.environ.get("EMAIL_PROVIDER", "smtp").strip().lower() or "smtp"
EMAIL_BACKEND = email_backend(EMAIL_PROVIDER, os.environ.get("EMAIL_BACKEND"), ENV)
# django-anymail: every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g.
# ANYMAIL_MAILGUN_API_KEY, ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY, ANYMAIL_POSTMARK_SERVER_TOKEN,
# ANYMAIL_WEBHOOK_SECRET ("user:password" that the provider's webhook calls must carry).
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Rank and File <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# English is the default; Welsh for the members' journeys (docs/decisions/0027-welsh.md).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The client address behind reverse proxies comes from TRUSTED_PROXIES alone (above;
# core.proxy, core.origin.client_ip — decision 0028); allauth asks core.origin through
# the account adapter, so its own proxy count stays 0. TRUSTED_PROXY_HOPS is no longer
# read: set in the environment, it fails the system check (core.checks, E004).
ALLAUTH_TRUSTED_PROXY_COUNT = 0

# Content-Security-Policy (django-csp) on every response; the lean WSGI paths send the
# same header (core.lean.security_headers runs django-csp's middleware). No inline
# script or style anywhere: scripts and styles are static files. data: images are
# allowed for the TOTP QR code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Rank and File --------------------------------------------------------------------
RANKANDFILE_SITE_NAME = os.environ.get("RANKANDFILE_SITE_NAME", "Rank and File")
# Each later part of the product adds demo data to `rankandfile demo_seed` here:
# a dotted path to ``seed(seed: int) -> str`` (a one-line summary).
RANKANDFILE_DEMO_SEEDERS = [
    "rankandfile.ballots.demo.seed",
    # Order matters: the programme (conference) is what accountability scores against;
    # selections show the scorecards; campaigns use the MPs' party history.
    "rankandfile.conference.demo.seed",
    "rankandfile.accountability.demo.seed",
    "rankandfile.selections.demo.seed",
    "rankandfile.campaigns.demo.seed",
    # Branch and CLP meetings; a CLP motion submitted to the demo conference.
    "rankandfile.meetings.demo.seed",
    # Internal elections read the rule book conference loaded and the MPs and CLPs.
    "rankandfile.elections.demo.seed",
]
# Campaigns: anti-abuse limits and petition data retention (docs/configuration.md).
CAMPAIGN_SIGNS_PER_IP = int(os.environ.get("CAMPAIGN_SIGNS_PER_IP", "30"))
CAMPAIGN_IP_WINDOW = int(os.environ.get("CAMPAIGN_IP_WINDOW", "600"))
CAMPAIGN_EMAILS_PER_ADDRESS = int(os.environ.get("CAMPAIGN_EMAILS_PER_ADDRESS", "3"))
CAMPAIGN_UNCONFIRMED_DAYS = int(os.environ.get("CAMPAIGN_UNCONFIRMED_DAYS", "30"))
CAMPAIGN_REMINDER_HOURS = int(os.environ.get("CAMPAIGN_REMINDER_HOURS", "24"))
# Accountability: the party's name as the Commons records print it, and other spellings.
ACCOUNTABILITY_PARTY = os.environ.get("ACCOUNTABILITY_PARTY", "Labour")
ACCOUNTABILITY_PARTY_ALIASES = tuple(
    a.strip()
    for a in os.environ.get("ACCOUNTABILITY_PARTY_ALIASES", "Labour (Co-op)").split(",")
    if a.strip()
)
# Live Commons data (accountability.live, decision 0023): Parliament's API addresses and
# how many days back the nightly fetch re-reads.
ACCOUNTABILITY_COMMONS_VOTES_API = os.environ.get(
    "ACCOUNTABILITY_COMMONS_VOTES_API", "https://commonsvotes-api.parliament.uk"
)
ACCOUNTABILITY_MEMBERS_API = os.environ.get(
    "ACCOUNTABILITY_MEMBERS_API", "https://members-api.parliament.uk"
)
ACCOUNTABILITY_FETCH_DAYS = int(os.environ.get("ACCOUNTABILITY_FETCH_DAYS", "14"))
# Personal data: lapsed members' personal data is erased this many days after their last
# membership ended (privacy_apply_retention; docs/privacy.md). Default: six years.
PRIVACY_LAPSED_RETENTION_DAYS = int(os.environ.get("PRIVACY_LAPSED_RETENTION_DAYS", "2192"))
if PRIVACY_LAPSED_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("PRIVACY_LAPSED_RETENTION_DAYS must be a positive number of days")
# Officers' messages (meetings.messaging): how many messages one officer may send a day,
# and the emails a worker sends per batch (docs/configuration.md).
MEETINGS_MESSAGES_PER_DAY = int(os.environ.get("MEETINGS_MESSAGES_PER_DAY", "5"))
MEETINGS_EMAIL_BATCH = int(os.environ.get("MEETINGS_EMAIL_BATCH", "200"))
# The periodic jobs' table (core.scheduler reads it by name: it sits above every app).
RANKANDFILE_SCHEDULE = "rankandfile.schedule.JOBS"
# The public address every emailed, shared and stored link starts with (core.links).
# Required in production (check error rankandfile.E001); unset in development, links
# start from the address being served (the request's, or `rankandfile runserver`'s).
RANKANDFILE_BASE_URL = os.environ.get("RANKANDFILE_BASE_URL", "").strip().rstrip("/")
BALLOT_EMAILS_PER_SECOND = float(os.environ.get("BALLOT_EMAILS_PER_SECOND", "20"))
# Ballot secrecy (ballots.secrecy, docs/decisions/0014-secrecy-mixer.md): the secret the
# papers of open ballots are sealed with — never stored in the database. Defaults to
# SECRET_KEY; if set, keep it (and SECRET_KEY) unchanged while any ballot is open.
BALLOT_SECRECY_KEY = os.environ.get("BALLOT_SECRECY_KEY", "")
# Pending papers are moved into the sealed box this many (at least 50) at a time.
BALLOT_MIX_BATCH = max(50, int(os.environ.get("BALLOT_MIX_BATCH", "100")))
# Results by electorate section (ballots.tally.by_section, decision 0025): a section is
# published by itself only with at least this many papers (else merged, or not broken down).
ELECTION_SECTION_MIN_PAPERS = max(1, int(os.environ.get("ELECTION_SECTION_MIN_PAPERS", "100")))
BALLOT_INVITATION_BATCH_SIZE = int(os.environ.get("BALLOT_INVITATION_BATCH_SIZE", "200"))
# A worker holds the electors it is sending to for this long (renewed before each send);
# after a worker dies, its electors are taken over once it expires (ballots/invitations.py).
BALLOT_EMAIL_LEASE_SECONDS = float(os.environ.get("BALLOT_EMAIL_LEASE_SECONDS", "120"))
# Reference data shipped inside the package (Commons divisions and MPs; data/README.md).
REFERENCE_DATA_DIR = Path(os.environ.get("RANKANDFILE_REFERENCE_DATA", BASE_DIR / "data"))
