"""Container healthcheck: exits 0 when the app answers its health route, 1 otherwise.

Usage: python3 healthcheck.py [PATH]   (PATH defaults to /healthz; the port comes from $PORT)
"""

import os
import sys
import urllib.request


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"healthcheck {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
