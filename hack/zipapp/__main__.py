"""The zipapp's entry point: `#!/usr/bin/env python3` runs this first, with the archive on sys.path.

Kept to syntax every python3 can parse, so a too old interpreter gets this message, not a SyntaxError.
"""

import sys

# The version check and the %-formatting ruff calls outdated are for the interpreters the plugin does not
# support (an f-string is a SyntaxError before Python 3.6).
if sys.version_info < (3, 9):  # noqa: UP036
    found = "%d.%d" % sys.version_info[:2]  # noqa: UP031
    sys.stderr.write("error: kubectl-sidecars needs Python 3.9 or newer; python3 is " + found + "\n")
    sys.exit(2)

import kubectl_sidecars_bundle

kubectl_sidecars_bundle.run()
