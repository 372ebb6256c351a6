"""``nbgrader collect`` for the default (shared folder) exchange, copying regular files only.

The exchange's inbound folder is writable by every student. Stock collect copies a submission with
``shutil.copytree``, which follows links: a link a student planted there (to the instructor's
source notebook, or to the gradebook) would become a real file in ``submitted/``, holding the
hidden tests, and a link to /dev/zero would fill the disk. This collect copies the regular files
and real folders of each submission only (``course.safe_files``), refuses a submission entry that
is itself a link, and logs what it left out. nbgrader_config.py selects it
(``c.ExchangeFactory.collect``).
"""

from __future__ import annotations

from nbgrader.exchange.default.collect import ExchangeCollect

from course.protections import Protections
from course.safe_files import Bounds, copy_tree, is_real_folder


class SafeCollect(ExchangeCollect):
    def do_copy(self, src, dest, log=None):
        if not Protections(config=self.config).regular_files_only:
            return super().do_copy(src, dest, log)
        if not is_real_folder(src):
            self.log.warning("Not collected: %s is a link or not a folder (a student can only "
                             "submit a folder).", src)
            return
        bounds = Bounds(file_bytes=int(self.coursedir.max_file_size) * 1000)
        found = copy_tree(src, dest, bounds, skip=tuple(self.coursedir.ignore))
        for path, why in found.ignored:
            self.log.warning("Not collected from %s: %s %s.", src, path, why)
