"""Model permissions by role: a national admin (NEC) may use every admin page.

Django's admin asks ``user.has_perm("app.change_model")``; rather than keep Django groups
in step with party roles, this backend answers from the role. Secrecy does not depend on
it: ballot papers and vote records are not registered in the admin at all.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from rankandfile.membership import permissions


class NationalAdminBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(user_obj.is_active and user_obj.is_staff) and permissions.is_national_admin(
            user_obj
        )

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return self.has_perm(user_obj, f"{app_label}.*")
