"""Export everything, import an export or a Todoist CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from todochat.api.deps import CurrentUser, Session
from todochat.api.errors import error_responses
from todochat.archive.export import export_account, tasks_csv, user_tasks
from todochat.archive.importing import Importer, read_export
from todochat.archive.schemas import Export, ImportResult
from todochat.errors import TodochatError

router = APIRouter(prefix="/api/{user_id}", tags=["export"])

_CSV = "text/csv"
_IMPORT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Export"}},
        _CSV: {
            "schema": {"type": "string", "description": "A Todoist CSV export."},
        },
    },
}


class UnsupportedMediaType(TodochatError):
    """An import in a format we do not read."""

    status_code = 415
    code = "unsupported_media_type"


@router.get(
    "/export",
    response_model=Export,
    responses={
        200: {"content": {_CSV: {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 422),
    },
)
async def export(
    user: CurrentUser,
    session: Session,
    request: Request,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Download everything: `format=json` gives tasks (with reminders and completed occurrences)
    and conversations (with messages), which `POST /import` reads back; `format=csv` the tasks."""
    day = request.app.state.clock().date().isoformat()
    if format == "csv":
        return Response(
            tasks_csv(await user_tasks(session, user)),
            media_type=f"{_CSV}; charset=utf-8",
            headers=_attachment(f"todochat-tasks-{day}.csv"),
        )
    document = await export_account(session, user, request.app.state.clock())
    return JSONResponse(
        document.model_dump(mode="json"), headers=_attachment(f"todochat-export-{day}.json")
    )


@router.post(
    "/import",
    response_model=ImportResult,
    openapi_extra={"requestBody": _IMPORT_BODY},
    responses=error_responses(400, 401, 403, 413, 415, 422),
)
async def import_data(user: CurrentUser, session: Session, request: Request) -> ImportResult:
    """Add the tasks and conversations of a todochat export (`application/json`) or the tasks of
    a Todoist CSV export (`text/csv`) to this account. All or nothing: on any error (422 naming
    the item) nothing is added; rows imported with something left out are listed in `warnings`."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    importer = Importer(session, user, request.app.state.clock)
    body = await request.body()
    if media_type == "application/json":
        return await importer.add_export(read_export(body))
    if media_type in (_CSV, "application/csv"):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UnsupportedMediaType("The CSV file must be UTF-8 text.") from error
        return await importer.add_todoist_csv(text)
    raise UnsupportedMediaType(
        "Send a todochat export as application/json or a Todoist CSV export as text/csv."
    )


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
