"""``python -m course.ngshare enrol ROSTER``: see ``course.ngshare.roster``."""

import sys

from course.ngshare.roster import main

sys.exit(main())
