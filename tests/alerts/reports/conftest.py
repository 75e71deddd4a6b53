"""Operations fixtures (loopback SMTP, TLS material, run lock and log inside the test's temp dir)."""
from tests.ops_support import config_file, smtp_server, tls_material  # noqa: F401
