from datetime import datetime
from uuid import UUID

from ninja import Router, Schema, Status

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap, Role, capabilities_of
from clinicdesk.core.schemas import InputSchema

from . import services
from .access import access_staff
from .selectors import staff_list

router = Router(tags=["staff"])


class MeOut(Schema):
    public_id: UUID
    username: str
    display_name: str
    role: str
    capabilities: list[str]


class StaffOut(Schema):
    public_id: UUID
    username: str
    display_name: str
    email: str
    role: str
    is_active: bool
    deactivated_at: datetime | None


class StaffIn(InputSchema):
    username: str
    display_name: str = ""
    email: str = ""
    role: Role
    password: str


class RoleIn(InputSchema):
    role: Role


@router.get("/me", response=MeOut, summary="Who am I")
@api_requires(Cap.ACCOUNT_SELF)
def me(request):
    user = request.user
    return MeOut(
        public_id=user.public_id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        capabilities=sorted(capabilities_of(user.role)),
    )


@router.get("/staff", response=list[StaffOut], summary="List staff accounts")
@api_requires(Cap.STAFF_MANAGE)
def staff_index(request):
    return list(staff_list())


@router.post("/staff", response={201: StaffOut}, summary="Create a staff account")
@api_requires(Cap.STAFF_MANAGE)
def staff_create(request, payload: StaffIn):
    user = services.staff_create(
        actor=request.user,
        username=payload.username,
        role=payload.role,
        password=payload.password,
        display_name=payload.display_name,
        email=payload.email,
    )
    return Status(201, user)


@router.get("/staff/{public_id}", response=StaffOut, summary="One staff account")
@api_requires(Cap.STAFF_MANAGE)
def staff_get(request, public_id: str):
    return access_staff(actor=request.user, public_id=public_id)


@router.put("/staff/{public_id}/role", response=StaffOut, summary="Change a role")
@api_requires(Cap.STAFF_MANAGE)
def staff_role(request, public_id: str, payload: RoleIn):
    person = access_staff(actor=request.user, public_id=public_id)
    return services.staff_change_role(actor=request.user, user=person, role=payload.role)


@router.post("/staff/{public_id}/deactivate", response=StaffOut, summary="Deactivate (ends all sessions)")
@api_requires(Cap.STAFF_MANAGE)
def staff_deactivate(request, public_id: str):
    person = access_staff(actor=request.user, public_id=public_id)
    return services.staff_deactivate(actor=request.user, user=person)
