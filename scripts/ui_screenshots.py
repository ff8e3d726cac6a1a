"""Refreshes the README's screenshots of the Temporal UI (docs/screenshots/*.png) from a real `mallbots up --seed`,
and checks in headless Chromium that the UI decodes payloads only through the codec endpoint.

    .venv/bin/python scripts/ui_screenshots.py               # screenshots + decode check
    .venv/bin/python scripts/ui_screenshots.py --check-only  # the decode check alone

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver). See
mallbots/tools/screenshots.py.
"""

import sys

from mallbots.tools.screenshots import main

if __name__ == "__main__":
    sys.exit(main())
