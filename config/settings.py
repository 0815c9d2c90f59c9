"""Settings for Ally Directory, driven by environment variables.

Development works with no variables at all (SQLite under ``var/``, DEBUG on).
Production sets ``DJANGO_DEBUG=0`` and must then provide a real secret key;
every variable is listed in the README.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

# The insecure key exists only so that development needs no setup; with
# DEBUG off it is refused, so it can never reach production by accident.
_DEV_SECRET_KEY = "django-insecure-development-only-key-not-for-production-use"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(use DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be a random string of at least 50 characters."
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "directory",
    "guide",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that can answer a request, so API answers carry CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the signed-in user on every history entry written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

# django-axes must see every login attempt, so its backend comes first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production; without it, SQLite in var/.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CONN_MAX_AGE = env_int("DJANGO_CONN_MAX_AGE", 60)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
    # JIT compiles plans whose estimated cost is high, such as a search over
    # a large directory, and spends far longer compiling (over a second,
    # measured by bench_search) than the millisecond queries take to run.
    # random_page_cost 1.1 tells the planner that index lookups are cheap
    # (SSD or cached data), so it stops preferring to scan whole tables.
    # No parallel workers: starting them costs more than the few
    # milliseconds a search takes, and concurrent requests already use
    # every core.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options",
        os.environ.get(
            "DATABASE_OPTIONS",
            "-c jit=off -c random_page_cost=1.1 -c max_parallel_workers_per_gather=0",
        ),
    )
    # Statements run through a server-side-binding cursor (the API's
    # related rows, ``directory.models.prepared_cursor``) are prepared on
    # their first run and planned once per connection: planning that
    # statement took a third of its time. Django's own queries bind on the
    # client and are never prepared. Off (like Django's default) behind a
    # pooler in transaction mode, which cannot keep prepared statements.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 0)
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                # WAL lets readers proceed while a writer commits; IMMEDIATE
                # transactions avoid "database is locked" upgrade deadlocks.
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=5000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Every public string is marked for translation; a Spanish edition adds
# locale/es/ and LocaleMiddleware (not before, or pages would claim lang="es"
# while showing English).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security ---------------------------------------------------------------
# HTTPS settings default to on in production; DJANGO_SECURE_SSL_REDIRECT=0
# exists for a TLS-terminating proxy that already redirects.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Curators' sessions end after eight idle hours and when the browser closes.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
# Only the admin's forms (and the Swagger UI page) set the CSRF cookie; the
# public forms go without (config/public_forms.py). It ends with the browser
# session instead of lingering for a year on a shared device.
CSRF_COOKIE_AGE = None

# The public pages load nothing from other sites and run no inline script
# (django-csp). JSON-LD blocks are data, not script, so the policy leaves
# them alone. A view that truly needs more uses django-csp's decorators.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Number of trusted reverse proxies in front of the site (see config/client_ip.py).
NUM_PROXIES = env_int("DJANGO_NUM_PROXIES", 0)

# Admin login throttling (django-axes). Locking the username *and* IP pair,
# never the IP alone, means an attacker guessing passwords from one address
# cannot lock a curator out from theirs, nor everyone behind a shared NAT.
AXES_FAILURE_LIMIT = env_int("DJANGO_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("DJANGO_AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = env_bool("DJANGO_AXES_VERBOSE", False)

# --- REST framework ----------------------------------------------------------
# The public API (/api/v1/, /api/hsds/): read-only, open to anyone, throttled
# per client IP; API keys (created in the admin) get the higher rate.
API_ANON_RATE = os.environ.get("ALLY_API_ANON_RATE", "120/min")
API_KEY_RATE = os.environ.get("ALLY_API_KEY_RATE", "1200/min")
# Browsers and proxies may reuse a response for this long; the server-side
# response cache holds entries until a curator edit makes them stale (and at
# most API_CACHE_SECONDS).
API_MAX_AGE = env_int("ALLY_API_MAX_AGE", 60)
API_CACHE_SECONDS = env_int("ALLY_API_CACHE_SECONDS", 600)
# Bytes of responses each worker process also keeps in memory (checked
# against the shared data version on every request), so a warm request does
# not fetch the body from Redis again. A list page is about 60 kB.
API_LOCAL_CACHE_BYTES = env_int("ALLY_API_LOCAL_CACHE_BYTES", 32 * 1024 * 1024)
# Off only to measure uncached performance (manage.py bench_api).
API_RESPONSE_CACHE = env_bool("ALLY_API_RESPONSE_CACHE", True)
API_PAGE_SIZE = 20
API_MAX_PAGE_SIZE = 100

REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["config.api_access.APIKeyAuthentication"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api_access.ClientIPThrottle",
        "config.api_access.APIKeyThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": API_ANON_RATE, "api_key": API_KEY_RATE},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "config.api_pagination.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api_negotiation.RememberingContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ally Directory API",
    "DESCRIPTION": (
        "Read-only access to a curated directory of mental-health help resources "
        "(crisis lines, helplines, support groups, treatment locators, education) and "
        "the ally guide. `/api/v1/` is our own REST API; `/api/hsds/` serves the same "
        "data as Open Referral HSDS 3.1. Anyone may read without a key, within a rate "
        "limit per IP address; send an API key (`Authorization: Api-Key <key>`) for a "
        "higher limit. If someone is in danger now, call or text 988, or call 911."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.add_hsds_components",
    ],
    "ENUM_NAME_OVERRIDES": {
        "UrgencyEnum": "directory.models.Urgency",
        "CostEnum": "directory.models.Cost",
        "ChannelKindEnum": "directory.models.ChannelKind",
        "AreaScopeEnum": "directory.models.AreaScope",
    },
}

# CORS: any web page may read the public API; nothing else is shared.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "authorization", "if-none-match", "if-modified-since")
CORS_EXPOSE_HEADERS = ("ETag", "Last-Modified", "Retry-After")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every successful login at INFO; lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Email ------------------------------------------------------------------
# DJANGO_MANAGERS (comma-separated addresses) are told of new public feedback.
MANAGERS = [("", address) for address in env_list("DJANGO_MANAGERS", [])]
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
SERVER_EMAIL = DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_FROM_EMAIL", "Ally Directory <noreply@localhost>"
)

# --- Ally Directory ---------------------------------------------------------
# Listings not verified for this many days show up as stale for curators.
VERIFICATION_STALE_DAYS = env_int("ALLY_VERIFICATION_STALE_DAYS", 180)
# Where "Quick exit" sends a visitor: a neutral page that gives nothing away.
QUICK_EXIT_URL = os.environ.get("ALLY_QUICK_EXIT_URL", "https://www.weather.gov/")
# Crisis lines (urgency "crisis now") are re-verified twice as often.
VERIFICATION_CRISIS_DAYS = env_int("ALLY_VERIFICATION_CRISIS_DAYS", 90)

# Public feedback forms: submissions per client IP (django-ratelimit syntax).
FEEDBACK_RATE_LIMIT = os.environ.get("ALLY_FEEDBACK_RATE_LIMIT", "5/h")
# Its counters live in the default cache, which all processes share when
# REDIS_URL is set (production); LocMemCache counts per process.
RATELIMIT_USE_CACHE = "default"

# Link checks (python manage.py check_links).
LINK_CHECK_CONCURRENCY = env_int("ALLY_LINK_CHECK_CONCURRENCY", 8)
LINK_CHECK_TIMEOUT = env_int("ALLY_LINK_CHECK_TIMEOUT_SECONDS", 15)
LINK_CHECK_RETRIES = env_int("ALLY_LINK_CHECK_RETRIES", 2)
LINK_CHECK_USER_AGENT = os.environ.get(
    "ALLY_LINK_CHECK_USER_AGENT",
    "AllyDirectoryLinkChecker/1.0 (+checks that listed help resources are still online)",
)

# Feedback posts on guide sections allowed per client address (django-ratelimit
# rate, e.g. "10/h"). Counted in the default cache: set REDIS_URL in
# production so that every worker process shares the count.
GUIDE_FEEDBACK_RATE = os.environ.get("ALLY_GUIDE_FEEDBACK_RATE", "10/h")
if not re.fullmatch(r"[0-9]+/[0-9]*[smhd]", GUIDE_FEEDBACK_RATE):
    raise ImproperlyConfigured(
        f"ALLY_GUIDE_FEEDBACK_RATE must look like 10/h or 5/15m, not {GUIDE_FEEDBACK_RATE!r}"
    )
