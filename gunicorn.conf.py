"""gunicorn settings for a small dyno or Railway service; the Procfile names the port and worker count."""
import os

# Threads let a worker keep serving while one request waits on a broker; memory stays that of few processes.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30  # a broker call has its own 10 s timeout; nothing here should take longer
graceful_timeout = 30  # Heroku sends SIGKILL 30 s after SIGTERM
keepalive = 5
# Recycle workers now and then so slow leaks never reach a small dyno's memory limit.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
# The platform's router is the only client that reaches the dyno, and it sets X-Forwarded-*.
forwarded_allow_ips = "*"
