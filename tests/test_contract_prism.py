"""Contract checks: generated workflow modules against Prism mocks of their OpenAPI documents.

Each case compiles an Arazzo document (a seed in specs/, a corpus entry with its
tests/corpus.py source overrides, or a fixture in tests/fixtures/contract/), runs one of its
workflows against ``prism mock --errors`` serving the OpenAPI document that workflow calls,
and asserts that

* Prism found nothing wrong with any request: no 422/401/415/404/405 problem answer, no
  request entry in an ``sl-violations`` header, no ``[VALIDATOR]`` error in its log
  (tests/prism.py reads all three);
* the steps ran in the expected order (method and path);
* the workflow completed with the expected outputs, or stopped at the step where Prism's
  mock cannot give what the workflow needs (each such case says why in ``note``).

Prism answers from the document's examples (or values made from its schemas) and keeps no
state, so behaviour that needs state or a particular sequence of answers (a 429 and then a
200, a job that finishes after some polls) is not shown here; the fake-server tests
(test_failure_actions.py, test_control_flow.py, test_workflows.py) cover it. A step can ask
Prism for a given answer with a ``Prefer: code=429`` / ``example=done`` header, which the
fixture API in tests/fixtures/contract/ declares so that its workflows can show goto, end
and retry against the mock.

Inputs are written per case below; where the OpenAPI document has examples they are taken
from it with :func:`example`. A corpus document with a defect that stops one workflow from
compiling (a literal where an expression belongs) is run from a patched copy, and only while
the published one does not compile. One Prism serves each OpenAPI document for the whole module;
all of them start in the background (a few at a time) when the first test needs one.

Set-up: ``npm ci --prefix tests/contract-tools`` installs the pinned Prism. Without ``node``
or that install the module is skipped; corpus cases are skipped when the corpus is absent.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml
from corpus import CORPUS, case_folder, entries
from prism import (
    Exchange,
    PrismPool,
    PrismServer,
    Recorder,
    request_violations,
    response_violations,
    unavailable_reason,
)

from generator.diagnostics import Level
from generator.pipeline import compile_specs
from generator.sources import SourceOptions

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "specs" / "amazon-connect"
SEED_API = SEEDS / "openapi" / "amazon-connect-openapi.yml"
FIXTURES = REPO / "tests" / "fixtures" / "contract"
FIXTURE_API = FIXTURES / "print-queue.openapi.yaml"
CAFE = "_remote/cafe.redocly.com/_bundle/openapi/cafe.yaml"

#: Seconds per request, and steps per workflow run: nothing here needs more.
REQUEST_TIMEOUT = 10.0
MAX_STEPS = 20

_UNAVAILABLE = unavailable_reason()
pytestmark = pytest.mark.skipif(_UNAVAILABLE is not None, reason=_UNAVAILABLE or "")


@cache
def _document(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def example(openapi: Path, pointer: str) -> Any:
    """The value at a JSON pointer of an OpenAPI document (to take inputs from its examples)."""
    node: Any = _document(openapi)
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


@dataclass(frozen=True)
class Case:
    """One workflow run against Prism, and what it must do there."""

    id: str
    document: Path  # the Arazzo document
    workflow: str  # the generated module (and function) name
    openapi: Path  # the document Prism serves
    calls: tuple[str, ...]  # "METHOD /path" of every request, in order
    inputs: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Expected outputs (a subset); None when the workflow is expected to stop early.
    outputs: Mapping[str, Any] | None = field(default_factory=dict)
    #: The step at which the workflow stops with StepFailedError, and its status code.
    fails_at: tuple[str, int] | None = None
    #: Request problems Prism must report (substrings): a document that sends a bad
    #: request on purpose. Empty: Prism must report none.
    violations: tuple[str, ...] = ()
    #: Text edits that make a corpus document compile (see `patch_note`); applied only
    #: while the original does not compile that workflow.
    patch: tuple[tuple[str, str], ...] = ()
    patch_note: str = ""
    #: Waits a retrying workflow asked for (its `sleep` is replaced).
    sleeps: tuple[float, ...] = ()
    #: The Prism problem (``NO_COMPLEX_OBJECT_TEXT``...) the mock answers instead of a
    #: response it cannot make from the document: a limit of the mock or the document.
    mock_fails: str = ""
    #: Run the async twin too and compare the requests.
    twin: bool = False
    #: More checks on the exchanges and outputs.
    check: Callable[[list[Exchange], Mapping[str, Any]], None] | None = None
    note: str = ""

    @property
    def in_corpus(self) -> bool:
        return self.document.is_relative_to(CORPUS)


# --- checks used by some cases -----------------------------------------------------------


def _bodies(exchanges: list[Exchange]) -> list[Any]:
    return [yaml.safe_load(e.request_body) if e.request_body else None for e in exchanges]


def _check_replacements(exchanges: list[Exchange], outputs: Mapping[str, Any]) -> None:
    first, second = _bodies(exchanges)[:2]
    assert first["name"] == "ReplacedPet"
    assert first["category"] == {"id": 5, "name": "ReplacedCategory"}
    assert second["name"] == "ReplacedPet-v2"


def _check_print_and_wait(exchanges: list[Exchange], outputs: Mapping[str, Any]) -> None:
    submit = exchanges[0]
    assert submit.request_headers["x-request-id"] == "req-0badcafe"
    assert _bodies(exchanges)[0] == {
        "document": "quarterly-report.pdf",
        "copies": 2,
        "duplex": True,
        "tags": ["finance", "q3"],
    }
    assert [e.request_headers.get("prefer") for e in exchanges[1:]] == [
        "example=printing",
        "example=done",
    ]


def _check_backoff(exchanges: list[Exchange], outputs: Mapping[str, Any]) -> None:
    assert [e.status_code for e in exchanges] == [429, 429, 429, 200, 204]
    query = httpx.URL(exchanges[3].url).params
    assert dict(query) == {"state": "queued,printing", "limit": "5", "owner": "ops@example.com"}
    assert exchanges[4].query == "reason=duplicate"


def _check_styles(exchanges: list[Exchange], outputs: Mapping[str, Any]) -> None:
    search, _bin, form, upload, note = exchanges
    assert search.request_headers["cookie"] == "session=s-42"
    assert search.request_headers["x-trace"] == "a b,c"
    assert form.request_body == b"name=Zo%C3%AB+%26+co&count=3&label=x%26y+z"
    assert upload.request_headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b"%PDF-1.4 \x00\xff" in upload.request_body
    assert note.request_body == b"check shelf (12 items)"


def _check_coupon_order(exchanges: list[Exchange]) -> None:
    """The pet tags go as `pet_tags` (the name the document gives), the coupon Prism
    made from the OpenAPI example goes into the order, with the pet's id."""
    assert httpx.URL(exchanges[0].url).params.get_list("pet_tags") == ["puppy", "dalmatian"]
    assert _bodies(exchanges)[-1] == {
        "petId": 10,
        "couponCode": "SUMMERSALE",
        "status": "placed",
        "complete": False,
    }


def _check_par(exchange: Exchange) -> None:
    """The query parameters of the operation (one written as JSON, its OpenAPI `content`),
    and the JSON body its requestBody declares."""
    query = httpx.URL(exchange.url).params
    assert query["client_assertion_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert yaml.safe_load(query["client_assertion"]) == {
        "iss": "tpp-client",
        "sub": "tpp-client",
        "aud": "as",
    }
    assert exchange.request_headers["content-type"] == "application/json"
    assert _bodies([exchange]) == [{"response_type": "code", "client_id": "tpp-client"}]


def _check_attributes(exchanges: list[Exchange], outputs: Mapping[str, Any]) -> None:
    assert _bodies(exchanges)[-1] == {"Attributes": {"tier": "gold", "topic": "billing"}}


# --- the cases ------------------------------------------------------------------------------

_CONNECT = CORPUS / "amazon-connect"
_CONNECT_API = _CONNECT / "openapi" / "amazon-connect-openapi.yml"
_TASK_DOC = _CONNECT / "arazzo" / "amazon-connect-start-task-and-stop-workflow.yml"
_CHAT_DOC = _CONNECT / "arazzo" / "amazon-connect-start-chat-and-set-attributes-workflow.yml"
_EXAMPLES = "/requestBody/content/application~1json/examples"
_TASK_EXAMPLE = f"/paths/~1contact~1task/post{_EXAMPLES}/StartTaskContactRequestExample/value"
_CHAT_EXAMPLE = f"/paths/~1contact~1chat/post{_EXAMPLES}/StartChatContactRequestExample/value"
_PETSTORE_DOC = CORPUS / "oai-login-and-retrieve-pets" / "LoginAndRetrievePets.arazzo.yaml"
_PETSTORE_API = (
    CORPUS
    / "oai-login-and-retrieve-pets/_remote/raw.githubusercontent.com/swagger-api/swagger-petstore"
    / "master/src/main/resources/openapi.yaml"
)
_USER = "/components/schemas/User/properties"
_COUPONS_DOC = CORPUS / "oai-pet-coupons" / "pet-coupons.arazzo.yaml"
_COUPONS_API = CORPUS / "oai-pet-coupons" / "pet-coupons.openapi.yaml"
#: The OAuth2 (petstore_auth) token the caller passes; Prism checks that there is one.
_PETSTORE_TOKEN = {"Authorization": "Bearer test-token"}
_ZENO = CORPUS / "jpa-zeno-fm"
_ZENO_API = _ZENO / "apis/openapi/zeno.fm/main/0.58-ddc52bb/openapi.json"
_ZENO_CREDENTIALS = {"x-zeno-api-key": "test-key", "Authorization": "Basic dXNlcjpwYXNz"}
_JARED = CORPUS / "jared-retry-after-header"
_JARED_API = (
    _JARED / "_remote/raw.githubusercontent.com/JaredCE/Arazzo-Runner/refs/heads/main/test"
    "/mocks/openapi/security/api-key/users-openapi.json"
)
_CONTACT_PATH = (
    "/contacts/a1b2c3d4-5678-90ab-cdef-11111EXAMPLE/a1b2c3d4-5678-90ab-cdef-88888EXAMPLE"
)

CASES = [
    # The seeds, against the repository's own OpenAPI document (credentials: an API key
    # in Authorization, as its securitySchemes say).
    Case(
        id="seed-start-task-and-stop",
        document=SEEDS / "arazzo" / "amazon-connect-start-task-and-stop-workflow.yml",
        workflow="start_task_and_stop",
        openapi=SEED_API,
        inputs={
            "instance_id": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE",
            "contact_flow_id": "a1b2c3d4-5678-90ab-cdef-77777EXAMPLE",
            "name": "Call the customer back",
            "description": "Ask about the delivery",
        },
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=test"},
        calls=("POST /contact/task", "GET /contacts/*/*", "POST /contacts/*/*/stop"),
        outputs={"channel": "VOICE"},
        twin=True,
        note="goto on a jsonpath criterion ($.Contact.Id != null) over Prism's example",
    ),
    Case(
        id="seed-start-chat-and-set-attributes",
        document=SEEDS / "arazzo" / "amazon-connect-start-chat-and-set-attributes-workflow.yml",
        workflow="start_chat_and_set_attributes",
        openapi=SEED_API,
        inputs={
            "instance_id": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE",
            "contact_flow_id": "a1b2c3d4-5678-90ab-cdef-77777EXAMPLE",
            "display_name": "Jane Smith",
            "attributes": {"tier": "gold", "topic": "billing"},
        },
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=test"},
        calls=("POST /contact/chat", "GET /contacts/*/*", "POST /contacts/*/*/attributes"),
        twin=True,
        check=_check_attributes,
    ),
    # The same workflows against the public Amazon Connect description in the corpus
    # (bearer credentials), with inputs from its request examples.
    Case(
        id="amazon-connect/start-task-and-stop",
        document=_TASK_DOC,
        workflow="start_task_and_stop",
        openapi=_CONNECT_API,
        inputs=(
            {
                "instance_id": example(_CONNECT_API, _TASK_EXAMPLE + "/InstanceId"),
                "contact_flow_id": example(_CONNECT_API, _TASK_EXAMPLE + "/ContactFlowId"),
                "name": example(_CONNECT_API, _TASK_EXAMPLE + "/Name"),
                "description": example(_CONNECT_API, _TASK_EXAMPLE + "/Description"),
            }
            if _CONNECT_API.is_file()
            else {}
        ),
        headers={"Authorization": "Bearer test-token"},
        calls=("POST /contact/task", "GET " + _CONTACT_PATH, "POST " + _CONTACT_PATH + "/stop"),
        outputs={"contact_id": "a1b2c3d4-5678-90ab-cdef-88888EXAMPLE", "channel": "VOICE"},
    ),
    Case(
        id="amazon-connect/start-chat-and-set-attributes",
        document=_CHAT_DOC,
        workflow="start_chat_and_set_attributes",
        openapi=_CONNECT_API,
        inputs=(
            {
                "instance_id": example(_CONNECT_API, _CHAT_EXAMPLE + "/InstanceId"),
                "contact_flow_id": example(_CONNECT_API, _CHAT_EXAMPLE + "/ContactFlowId"),
                "display_name": example(
                    _CONNECT_API, _CHAT_EXAMPLE + "/ParticipantDetails/DisplayName"
                ),
                "attributes": {"tier": "gold", "topic": "billing"},
            }
            if _CONNECT_API.is_file()
            else {}
        ),
        headers={"Authorization": "Bearer test-token"},
        calls=("POST /contact/chat", "GET /contacts/*/*", "POST /contacts/*/*/attributes"),
        check=_check_attributes,
    ),
    # Official OAI examples that compile. The OAuth document declares no response bodies,
    # so Prism answers 200 with an empty body and the criteria on access_token fail: the
    # requests (query parameters, form bodies, a workflow calling another) are still checked.
    Case(
        id="oai-oauth/client-credentials-flow",
        document=CORPUS / "oai-oauth" / "oauth.arazzo.yaml",
        workflow="client_credentials_flow",
        openapi=CORPUS / "oai-oauth" / "oauth.openapi.yaml",
        inputs={"client_id": "my-client", "client_secret": "s3cret/+="},
        calls=("POST /oauth/token",),
        outputs=None,
        fails_at=("get-client-creds-token", 200),
        note="the OpenAPI document declares no token response body",
    ),
    Case(
        id="oai-oauth/authorization-code-flow",
        document=CORPUS / "oai-oauth" / "oauth.arazzo.yaml",
        workflow="authorization_code_flow",
        openapi=CORPUS / "oai-oauth" / "oauth.openapi.yaml",
        inputs={
            "client_id": "my-client",
            "client_secret": "s3cret",
            "redirect_uri": "https://app.example.com/callback?from=arazzo",
        },
        calls=("GET /authorize",),
        outputs=None,
        fails_at=("browser-authorize", 200),
        note="the authorize step expects an access_token in a body the document does not declare",
    ),
    Case(
        id="oai-oauth/refresh-token-flow",
        document=CORPUS / "oai-oauth" / "oauth.arazzo.yaml",
        workflow="refresh_token_flow",
        openapi=CORPUS / "oai-oauth" / "oauth.openapi.yaml",
        inputs={
            "my_client_id": "my-client",
            "my_client_secret": "s3cret",
            "my_redirect_uri": "https://app.example.com/callback",
        },
        calls=("GET /authorize",),
        outputs=None,
        fails_at=("browser-authorize", 200),
        note="stops in the called authorization-code-flow, as above; its token step (whose "
        "payload lacks the required client_id) is never reached",
    ),
    Case(
        id="oai-login-and-retrieve-pets/login-user-retrieve-pet",
        document=_PETSTORE_DOC,
        workflow="login_user_retrieve_pet",
        openapi=_PETSTORE_API,
        inputs=(
            {
                "username": example(_PETSTORE_API, _USER + "/username/example"),
                "password": example(_PETSTORE_API, _USER + "/password/example"),
            }
            if _PETSTORE_API.is_file()
            else {}
        ),
        calls=("GET /user/login", "GET /pet/findByStatus"),
        outputs=None,
        fails_at=("getPetStep", 401),
        violations=("Invalid security scheme used",),
        note="the document sends the login response body as the Authorization header of "
        "findPetsByStatus, whose OpenAPI security is OAuth2 (a bearer token), so Prism refuses "
        "it; the login request conforms",
    ),
    Case(
        id="oai-pet-coupons/place-order",
        document=_COUPONS_DOC,
        workflow="place_order",
        openapi=_COUPONS_API,
        inputs={
            "pet_id": (
                example(_COUPONS_API, "/components/schemas/Order/properties/petId/example")
                if _COUPONS_API.is_file()
                else 0
            ),
            "quantity": 1,
            "coupon_code": "SUMMERSALE",
        },
        calls=("POST /store/order",),
        outputs={"workflow_order_id": 10},
    ),
    Case(
        id="oai-pet-coupons/apply-coupon",
        document=_COUPONS_DOC,
        workflow="apply_coupon",
        openapi=_COUPONS_API,
        headers=_PETSTORE_TOKEN,
        inputs={"my_pet_tags": ["puppy", "dalmatian"], "store_id": "pets.example.com"},
        calls=("GET /pet/findByTags", "GET /pet/10/coupons", "POST /store/order"),
        outputs={"apply_coupon_pet_order_id": 10},
        twin=True,
        check=lambda exchanges, _outputs: _check_coupon_order(exchanges),
        note="repairs: `pet_id` is the path's `petId` (AG426); `$statusCode == 200` on the "
        "step that runs place-order reads that workflow's last response (AG427)",
    ),
    Case(
        id="oai-pet-coupons/buy-available-pet",
        document=_COUPONS_DOC,
        workflow="buy_available_pet",
        openapi=_COUPONS_API,
        headers=_PETSTORE_TOKEN,
        calls=("GET /pet/findByStatus", "POST /store/order"),
        outputs={"buy_pet_order_id": 10},
        check=lambda exchanges, _outputs: _assert_queries(
            exchanges[:1], ["status=available&page=1&pageSize=10"]
        ),
        note="reusable parameters with value overrides; a workflow step reading $statusCode",
    ),
    Case(
        id="oai-fapi-par/oidc-par-authz-code",
        document=CORPUS / "oai-fapi-par" / "FAPI-PAR.arazzo.yaml",
        workflow="oidc_par_authz_code",
        openapi=CORPUS / "oai-fapi-par" / "FAPI-PAR.openapi.yaml",
        inputs={
            "client_id": "tpp-client",
            "client_assertion": {"iss": "tpp-client", "sub": "tpp-client", "aud": "as"},
            "redirect_uri": "https://tpp.example.com/cb",
            "code_verifier": "verifier-0123456789",
            "pa_rrequest_body": {"response_type": "code", "client_id": "tpp-client"},
            "token_request_body": {},
        },
        calls=("POST /as/par.oauth2",),
        outputs=None,
        fails_at=("PARStep", 400),
        violations=("content-type must be equal to one of the allowed values",),
        check=lambda exchanges, _outputs: _check_par(exchanges[0]),
        note="repair: operationId PAR is the OpenAPI document's Par (AG317). Prism then "
        "refuses the JSON body the operation's requestBody declares, by a Content-Type "
        "header parameter (form-urlencoded) that OpenAPI says SHALL be ignored",
    ),
    # Corpus cases with reusable components, goto, end and workflow calls.
    Case(
        id="redocly-reusable-components/final-workflow",
        document=CORPUS
        / "redocly-reusable-components/respect/reusable-components/reusable-components.arazzo.yaml",
        workflow="final_workflow",
        openapi=CORPUS / "redocly-reusable-components" / CAFE,
        calls=("GET /menu",),
        outputs={},
        check=lambda exchanges, _outputs: _assert_headers(
            exchanges, {"pagesize": "256", "authorization": "Basic Og=="}
        ),
        note="workflow parameters: a $components.parameters reference with a value override",
    ),
    Case(
        id="redocly-reusable-components/search-menu-items",
        document=CORPUS
        / "redocly-reusable-components/respect/reusable-components/reusable-components.arazzo.yaml",
        workflow="search_menu_items",
        openapi=CORPUS / "redocly-reusable-components" / CAFE,
        calls=("GET /menu",),
        outputs={"total": 0},
        note="a workflow of the document's `arazzo` source (cafe-menu.arazzo.yaml)",
    ),
    Case(
        id="redocly-step-on-failure/client-registration",
        document=CORPUS
        / "redocly-step-on-failure/respect/step-on-failure-type-end-action"
        / "step-on-failure-type-end-action.arazzo.yaml",
        workflow="client_registration",
        openapi=CORPUS / "redocly-step-on-failure" / CAFE,
        calls=("GET /menu",),
        outputs={},
        note="operationPath through cafe.yaml's external Path Item $ref; criteria want 201, "
        "Prism gives 200: the onFailure `end` action ends the workflow before the goto and "
        "retry actions listed after it",
    ),
    Case(
        id="redocly-step-on-failure/get-menu-items",
        document=CORPUS
        / "redocly-step-on-failure/respect/step-on-failure-type-end-action"
        / "step-on-failure-type-end-action.arazzo.yaml",
        workflow="get_menu_items",
        openapi=CORPUS / "redocly-step-on-failure" / CAFE,
        calls=("GET /menu",),
        outputs={},
    ),
    Case(
        id="redocly-workflow-success-actions/get-menu-items",
        document=CORPUS
        / "redocly-workflow-success-actions/respect/workflow-success-actions"
        / "workflow-success-actions.arazzo.yaml",
        workflow="get_menu_items",
        openapi=CORPUS / "redocly-workflow-success-actions" / CAFE,
        calls=("GET /menu", "GET /menu"),
        outputs={},
        check=lambda exchanges, _outputs: _assert_queries(
            exchanges, ["", "search=mermaid-treasure-latte"]
        ),
        note="a workflow-level successActions goto to a workflow of another Arazzo document "
        "(the first of two actions with the same criteria wins)",
    ),
    Case(
        id="redocly-workflow-success-actions/client-registration",
        document=CORPUS
        / "redocly-workflow-success-actions/respect/workflow-success-actions"
        / "workflow-success-actions.arazzo.yaml",
        workflow="client_registration",
        openapi=CORPUS / "redocly-workflow-success-actions" / CAFE,
        calls=("GET /menu", "GET /menu"),
        outputs={},
        check=lambda exchanges, _outputs: _assert_queries(
            exchanges, ["", "search=mermaid-treasure-latte"]
        ),
        note="operationPath through cafe.yaml's external Path Item $ref; a step onSuccess goto "
        "to a workflow of another Arazzo document, which ends the calling workflow, so "
        "create-client does not run",
    ),
    Case(
        id="redocly-museum/get-museum-tickets",
        document=CORPUS / "redocly-museum" / "museum-api.arazzo.yaml",
        workflow="get_museum_tickets",
        openapi=CORPUS / "redocly-museum" / "museum.yaml",
        calls=("POST /tickets",),
        outputs={"ticket_id": "382c0820-0530-4f4b-99af-13811ad0f17a"},
        check=lambda exchanges, _outputs: _assert_body(
            exchanges[0],
            {"ticketType": "general", "ticketDate": "2023-09-07", "email": "todd@example.com"},
        ),
        note="a YAML date in the payload is sent as the string the schema (format: date) wants",
    ),
    Case(
        id="redocly-museum/get-museum-hours",
        document=CORPUS / "redocly-museum" / "museum-api.arazzo.yaml",
        workflow="get_museum_hours",
        openapi=CORPUS / "redocly-museum" / "museum.yaml",
        calls=("GET /museum-hours", "POST /tickets"),
        outputs={},
        check=lambda exchanges, _outputs: _assert_headers(
            exchanges, {"authorization": "Basic Og=="}
        ),
        note="a step that runs a workflow of the document's `arazzo` source "
        "(museum-tickets.arazzo.yaml); workflow parameters reach both documents' requests",
    ),
    Case(
        id="redocly-museum/events-crud",
        document=CORPUS / "redocly-museum" / "museum-api.arazzo.yaml",
        workflow="events_crud",
        openapi=CORPUS / "redocly-museum" / "museum.yaml",
        calls=("GET /special-events", "POST /special-events"),
        outputs=None,
        fails_at=("create-event", 201),
        note="the created event comes back with the right name, but the criterion "
        "`$[?@.name == '...']` filters the children of the response object (RFC 9535), not "
        "the object itself, so it selects nothing; the POST body (dates copied from the "
        "listed events, non-ASCII text) conforms",
    ),
    Case(
        id="redocly-severity-level/client-registration",
        document=CORPUS
        / "redocly-severity-level/respect/severity-error-level/severity-level.arazzo.yaml",
        workflow="client_registration",
        openapi=CORPUS / "redocly-severity-level" / "respect" / "cafe-api-with-errors.yaml",
        calls=("POST /oauth2/register",),
        outputs=None,
        fails_at=("create-client", 400),
        violations=("must have required property 'name'",),
        note="the document leaves out the required `name` ON PURPOSE (it expects a 400): Prism "
        "must report exactly that, and answers with the document's own 400 example, whose "
        "title is not the 'Validation failed' the criteria want",
    ),
    Case(
        id="wso2-toolshop-deep-branching/deep-branching-product-flow",
        document=CORPUS / "wso2-toolshop-deep-branching" / "15-deep-branching.arazzo.yaml",
        workflow="deep_branching_product_flow",
        openapi=CORPUS / "wso2-toolshop-deep-branching" / "toolshop-openapi.yaml",
        inputs={"search_query": "screwdriver"},
        calls=("GET /products/search", "GET /brands", "POST /messages"),
        outputs={"search_processed": "Done"},  # plain text, read as that text (AG423)
        note="onSuccess gotos: `$.datas` selects nothing, so the brands branch is taken, then "
        "the 200 branch to contactBrandSupport, which ends",
    ),
    Case(
        id="wso2-toolshop-nested-workflow-args/get-products-by-page",
        document=CORPUS
        / "wso2-toolshop-nested-workflow-args"
        / "12-nested-workflow-args.arazzo.yaml",
        workflow="get_products_by_page",
        openapi=CORPUS / "wso2-toolshop-nested-workflow-args" / "toolshop-openapi.yaml",
        inputs={"page": 2},
        calls=("GET /products",),
        outputs={"first_product_name": "string"},
    ),
    Case(
        id="wso2-toolshop-nested-workflow-args/get-brand-products",
        document=CORPUS
        / "wso2-toolshop-nested-workflow-args"
        / "12-nested-workflow-args.arazzo.yaml",
        workflow="get_brand_products",
        openapi=CORPUS / "wso2-toolshop-nested-workflow-args" / "toolshop-openapi.yaml",
        inputs={"brand_id": "01JBRAND0000000000000000"},
        calls=("GET /products",),
        outputs={"brand_product_count": 0},
    ),
    Case(
        id="wso2-toolshop-nested-workflow-args/orchestrate-with-arguments",
        document=CORPUS
        / "wso2-toolshop-nested-workflow-args"
        / "12-nested-workflow-args.arazzo.yaml",
        workflow="orchestrate_with_arguments",
        openapi=CORPUS / "wso2-toolshop-nested-workflow-args" / "toolshop-openapi.yaml",
        calls=("GET /products", "GET /products", "GET /brands", "GET /products"),
        outputs={"page2_product": "string", "brand_name": "string"},
        check=lambda exchanges, _outputs: _assert_queries(
            exchanges, ["page=1", "page=2", "", "by_brand=string"]
        ),
        note="steps that run workflows with parameters (a literal '1', an earlier step's output)",
    ),
    Case(
        id="wso2-petstore-replacements/request-body-tests",
        document=CORPUS / "wso2-petstore-replacements" / "09-request-body-replacements.arazzo.yaml",
        workflow="request_body_tests",
        openapi=CORPUS / "wso2-petstore-replacements" / "petstore-openapi.yaml",
        # The inputs' schema defaults, passed explicitly (see the report on defaults).
        inputs={"pet_name": "ReplacedPet", "category_name": "ReplacedCategory"},
        calls=("POST /pet", "POST /pet", "DELETE /pet/*", "DELETE /pet/*"),
        outputs={"replaced_name": "string"},
        check=_check_replacements,
    ),
    Case(
        id="strefethen-bank-32/get-all-banks",
        document=CORPUS / "strefethen-bank-32" / "bank-32.arazzo.yaml",
        workflow="get_all_banks",
        openapi=CORPUS / "strefethen-bank-32" / "bank-32.openapi.json",
        calls=("GET /banks",),
        outputs={},
        note="an OpenAPI 3.2 source",
    ),
    Case(
        id="wso2-petstore-operation-path/operation-path-test",
        document=CORPUS / "wso2-petstore-operation-path" / "07-operation-path.arazzo.yaml",
        workflow="operation_path_test",
        openapi=CORPUS / "wso2-petstore-operation-path" / "petstore-openapi.yaml",
        calls=("POST /pet", "GET /pet/*", "DELETE /pet/*"),
        outputs={"verified_name": "string"},
        note="operationPath in the `<source>#/paths/...` shorthand",
    ),
    Case(
        id="jared-retry-after-header/delete-current-user-retry-rule",
        document=_JARED / "retry-after-from-header.arazzo.json",
        workflow="delete_current_user_retry_rule",
        openapi=_JARED_API,
        inputs={"username": "user1", "password": "s3cret"},
        headers={"Authorization": "login-key"},
        calls=("POST /user/login", "GET /user/user1", "DELETE /user/user1"),
        outputs=None,
        fails_at=("deleteUser", 400),
        check=lambda exchanges, _outputs: _assert_headers(
            exchanges[1:], {"authorization": "string"}
        ),
        note="the token from the login answer replaces the caller's Authorization; the retry "
        "on 404 is not reached (Prism answers 200), and deleteUser declares only 400 and 404, "
        "so Prism answers 400",
    ),
    Case(
        id="jpa-zeno-fm/discover-and-explore-radio-stations",
        document=_ZENO / "workflows.arazzo.json",
        workflow="discover_and_explore_radio_stations",
        openapi=_ZENO_API,
        inputs={"query": "jazz"},
        headers=_ZENO_CREDENTIALS,
        calls=("GET /api/v2/stations/genres",) * 4,
        outputs=None,
        fails_at=("get-station-genres", 500),
        mock_fails="NO_COMPLEX_OBJECT_TEXT",
        sleeps=(2.0, 2.0, 2.0),
        note="Prism cannot serialise the genres response (500), so the workflow-level "
        "failureActions from $components retry it 3 times, 2 s apart, then fail",
    ),
    Case(
        id="jpa-zeno-fm/monitor-partner-stream-status-and-tracks",
        document=_ZENO / "workflows.arazzo.json",
        workflow="monitor_partner_stream_status_and_tracks",
        openapi=_ZENO_API,
        inputs={
            "current_track": "true",  # a string input in the document, a boolean in the API
            "x_auth_token": "stream-token",
            "get_stream_list_information_body": ["stream-1"],
        },
        headers=_ZENO_CREDENTIALS,
        calls=("POST /partners/streams",) * 4,
        outputs=None,
        fails_at=("get-stream-list-information", 500),
        mock_fails="VIOLATIONS",
        sleeps=(2.0, 2.0, 2.0),
        note="the mock's answer breaks the document's own response schema (500 with "
        "--errors), retried as above; the request (a header and a body from inputs) conforms",
    ),
    # Fixtures written for these checks (goto, end, retry and components that Prism can
    # drive through the `Prefer` header its API declares).
    Case(
        id="fixture/print-and-wait",
        document=FIXTURES / "print-queue.arazzo.yaml",
        workflow="print_and_wait",
        openapi=FIXTURES / "print-queue.openapi.yaml",
        inputs={
            "document": "quarterly-report.pdf",
            "copies": 2,
            "duplex": True,
            "tags": ["finance", "q3"],
            "request_id": "req-0badcafe",
        },
        headers={"Authorization": "Bearer test-token"},
        calls=("POST /jobs", "GET /jobs/job-42", "GET /jobs/job-42"),
        outputs={"job_id": "job-42", "state": "done", "pages": 3},
        twin=True,
        check=_check_print_and_wait,
        note="goto over a step (cancelStuck is skipped), an `end` action from "
        "$components.successActions, inputs from $components.inputs, a header from "
        "$components.parameters",
    ),
    Case(
        id="fixture/submit-with-backoff",
        document=FIXTURES / "print-queue.arazzo.yaml",
        workflow="submit_with_backoff",
        openapi=FIXTURES / "print-queue.openapi.yaml",
        inputs={
            "document": "poster.pdf",
            "request_id": "req-00c0ffee",
            "states": ["queued", "printing"],
            "limit": 5,
            "owner": "ops@example.com",
            "reason": "duplicate",
        },
        headers={"Authorization": "Bearer test-token"},
        calls=("POST /jobs", "POST /jobs", "POST /jobs", "GET /jobs", "DELETE /jobs/job-7"),
        outputs={"cancelled": "job-7"},
        sleeps=(2.0, 2.0),
        twin=True,
        check=_check_backoff,
        note="Prism answers 429 with Retry-After: 2 (the document's example), which wins over "
        "retryAfter: 30; after retryLimit 2 the goto failure action runs listJobs (a form "
        "array, an integer and an e-mail in the query) and the enum in cancelJob's query",
    ),
    Case(
        id="fixture/reprint",
        document=FIXTURES / "print-queue.arazzo.yaml",
        workflow="reprint",
        openapi=FIXTURE_API,
        inputs={"request_id": "req-0000beef", "name": "minutes"},
        headers={"Authorization": "Bearer test-token"},
        calls=("POST /jobs",),
        outputs={"job_id": "job-42"},
        check=lambda exchanges, _outputs: _assert_body(
            exchanges[0], {"document": "minutes.pdf", "copies": 1}
        ),
        note="see test_an_omitted_input_is_not_sent_as_null for the same without `name`",
    ),
    Case(
        id="fixture/every-style",
        document=FIXTURES / "styles.arazzo.yaml",
        workflow="every_style",
        openapi=FIXTURES / "styles.openapi.yaml",
        inputs={
            "query": "café & crème/1+1=2?",
            "flags": ["new", "used"],
            "colors": ["red", "blue"],
            "low": 1,
            "high": 9,
            "trace": ["a b", "c"],
            "session": "s-42",
            "shelf": "top left",
            "bin": 7,
            "name": "Zoë & co",
            "label": "x&y z",
            "title": "report",
            "file": b"%PDF-1.4 \x00\xff",
            "note": "check shelf",
        },
        calls=(
            "GET /search",
            "GET /shelves/top%20left/;bin=7",
            "POST /forms",
            "POST /uploads",
            "POST /notes",
        ),
        outputs={"count": 3, "items": 12},
        check=_check_styles,
        note="form (exploded), pipeDelimited and deepObject query parameters, reserved and "
        "non-ASCII characters, an array header, a matrix path parameter; form, multipart and "
        "text bodies. Prism does not check cookies (the cookie is checked here)",
    ),
]


def _assert_headers(exchanges: list[Exchange], expected: Mapping[str, str]) -> None:
    for exchange in exchanges:
        for name, value in expected.items():
            assert exchange.request_headers.get(name) == value, (name, exchange.describe())


def _assert_queries(exchanges: list[Exchange], expected: list[str]) -> None:
    assert [e.query for e in exchanges] == expected


def _assert_body(exchange: Exchange, expected: Any) -> None:
    assert yaml.safe_load(exchange.request_body) == expected


# --- compiling and running ------------------------------------------------------------------


@dataclass
class Compiled:
    modules: dict[str, ModuleType]
    errors: list[str]


@cache
def _corpus_overrides() -> dict[Path, dict[str, Path]]:
    return {entry.document: entry.overrides for entry in entries()}


def _overrides(document: Path) -> dict[str, Path]:
    """The corpus's `--source` overrides for a document (remote urls to local copies)."""
    return dict(_corpus_overrides().get(document, {}))


def _skip_black(patch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    """Leave generated modules as the templates wrote them, without black.

    black changes only the layout (it checks that the syntax tree stays the same) and takes
    most of the compile time here; the golden tests check the formatted output. What the
    generator remembers goes to a cache of this module's own, so the unformatted text is
    never what another test gets for the same input.
    """
    patch.setenv("ARAZZO_GEN_CACHE_DIR", str(cache_dir))
    try:
        render = importlib.import_module("generator.emit.render")
    except ImportError:
        return
    if callable(getattr(render, "_black", None)):
        patch.setattr(render, "_black", lambda source, *args, **kwargs: source)


@pytest.fixture(scope="module")
def compile_document(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Path, Mapping[str, Path]], Compiled]:
    """Compile a document once per module (offline, with overrides) and import its modules."""
    folder = tmp_path_factory.mktemp("contract-packages")
    cache_dir = tmp_path_factory.mktemp("contract-cache")
    done: dict[tuple[Path, tuple[tuple[str, Path], ...]], Compiled] = {}

    def compile_(document: Path, overrides: Mapping[str, Path]) -> Compiled:
        key = (document, tuple(sorted(overrides.items())))
        if key not in done:
            with pytest.MonkeyPatch.context() as patch:
                _skip_black(patch, cache_dir)
                allowed = (case_folder(document).resolve(),)
                result = compile_specs(
                    [document],
                    sources=SourceOptions(offline=True, overrides=overrides, allowed_dirs=allowed),
                )
            errors = [
                d.render().splitlines()[0] for d in result.diagnostics if d.level is Level.ERROR
            ]
            root = f"_contract_{folder.name.replace('-', '_')}_{len(done)}"
            for name, text in result.files.items():
                (folder / root / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / root / name).write_text(text, encoding="utf-8")
            sys.path.insert(0, str(folder))
            try:
                modules = {
                    w.module: importlib.import_module(f"{root}.{w.package}.{w.module}")
                    for w in result.workflows
                }
            finally:
                sys.path.remove(str(folder))
            done[key] = Compiled(modules, errors)
        return done[key]

    return compile_


def _load(
    case: Case,
    compile_: Callable[[Path, Mapping[str, Path]], Compiled],
    tmp_path: Path,
) -> ModuleType:
    """The case's module, from a patched copy of the document if need be."""
    overrides = _overrides(case.document) if case.in_corpus else {}
    compiled = compile_(case.document, overrides)
    module = compiled.modules.get(case.workflow)
    if module is None and case.patch:
        # A patched copy of the whole case folder, so relative urls still resolve.
        folder = CORPUS / case.document.relative_to(CORPUS).parts[0]
        copy = tmp_path / "patched" / folder.name
        shutil.copytree(folder, copy)
        patched = copy / case.document.relative_to(folder)
        text = patched.read_text(encoding="utf-8")
        for old, new in case.patch:
            assert old in text, f"patch for {case.id} no longer applies: {old!r}"
            text = text.replace(old, new)
        patched.write_text(text, encoding="utf-8")
        moved = {n: copy / p.relative_to(folder) for n, p in overrides.items()}
        compiled = compile_(patched, moved)
        module = compiled.modules.get(case.workflow)
    if module is None:
        pytest.fail(f"{case.workflow} does not compile: {compiled.errors}")
    return module


@pytest.fixture(scope="module")
def prisms(request: pytest.FixtureRequest) -> Iterator[PrismPool]:
    """The Prism servers of the selected tests, all started (in the background) at once."""
    documents = [SEED_API]  # in the order the tests need them
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module is sys.modules[__name__] and isinstance(params.get("case"), Case):
            documents.append(params["case"].openapi)
    documents.append(FIXTURE_API)
    with PrismPool() as pool:
        pool.start([d for d in dict.fromkeys(documents) if d.is_file()])
        yield pool


@dataclass
class Run:
    outputs: Mapping[str, Any] | None
    error: Exception | None
    exchanges: list[Exchange]
    problems: list[str]
    sleeps: list[float]


def _is_workflow_error(error: BaseException) -> bool:
    """An error a generated module raises (each module has its own WorkflowError class)."""
    return any(cls.__name__ == "WorkflowError" for cls in type(error).__mro__)


def _run(case: Case, module: ModuleType, prism: PrismServer, *, twin: bool = False) -> Run:
    function = getattr(module, case.workflow + ("_async" if twin else ""))
    arguments: dict[str, Any] = dict(case.inputs)
    sleeps: list[float] = []
    if "sleep" in inspect.signature(function).parameters:
        if twin:

            async def record_sleep(seconds: float) -> None:
                sleeps.append(seconds)

            arguments["sleep"] = record_sleep
        else:
            arguments["sleep"] = sleeps.append
    arguments.update(
        base_url=prism.url, headers=dict(case.headers), timeout=REQUEST_TIMEOUT, max_steps=MAX_STEPS
    )
    recorder = Recorder()
    mark = prism.mark()
    outputs = None
    error = None
    try:
        if twin:

            async def run_async() -> Any:
                async with recorder.async_client(REQUEST_TIMEOUT) as http:
                    return await function(**arguments, client=http)

            outputs = asyncio.run(run_async())
        else:
            with recorder.client(REQUEST_TIMEOUT) as http:
                outputs = function(**arguments, client=http)
    except Exception as caught:
        if not _is_workflow_error(caught):
            raise
        error = caught
    log = prism.requests_since(mark, expected=len(recorder.exchanges))
    assert prism.alive(), "Prism stopped:\n" + "\n".join(prism.log()[-30:])
    problems = request_violations(recorder.exchanges, log)
    return Run(outputs, error, recorder.exchanges, problems, sleeps)


def _call(exchange: Exchange) -> str:
    return f"{exchange.method} {exchange.path}"


def _matches(call: str, pattern: str) -> bool:
    """`pattern` is "METHOD /path" where a `*` segment stands for any one segment."""
    got, want = call.split("/"), pattern.split("/")
    return len(got) == len(want) and all(w in ("*", g) for g, w in zip(got, want, strict=True))


def _check(case: Case, run: Run) -> None:
    exchanges = run.exchanges
    if case.violations:
        assert run.problems, "Prism reported no problem with a request that breaks the document"
        for expected in case.violations:
            assert any(expected in problem for problem in run.problems), (expected, run.problems)
        unexpected = [p for p in run.problems if not any(e in p for e in case.violations)]
        assert not unexpected, unexpected
    else:
        assert not run.problems, "\n".join(run.problems)
    unmockable = response_violations(exchanges)
    if case.mock_fails:
        assert unmockable and all(case.mock_fails in p for p in unmockable), unmockable
    else:
        assert not unmockable, unmockable
    calls = [_call(e) for e in exchanges]
    assert len(calls) == len(case.calls) and all(
        _matches(call, want) for call, want in zip(calls, case.calls, strict=False)
    ), calls
    if case.fails_at is not None:
        assert run.error is not None and type(run.error).__name__ == "StepFailedError", run.error
        step, status = case.fails_at
        assert (run.error.step_id, run.error.status_code) == (step, status), run.error
    else:
        assert run.error is None, run.error
        assert run.outputs is not None
        expected = case.outputs or {}
        assert {k: run.outputs.get(k) for k in expected} == dict(expected), run.outputs
    assert tuple(run.sleeps) == case.sleeps
    if case.check is not None:
        case.check(exchanges, run.outputs or {})


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_workflow_requests_conform_to_the_openapi_document(
    case: Case,
    prisms: PrismPool,
    compile_document: Callable[[Path, Mapping[str, Path]], Compiled],
    tmp_path: Path,
) -> None:
    if case.in_corpus and not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (set ARAZZO_CORPUS)")
    if not case.openapi.is_file():
        pytest.skip(f"{case.openapi} is not in the corpus")
    module = _load(case, compile_document, tmp_path)
    prism = prisms.get(case.openapi)
    run = _run(case, module, prism)
    _check(case, run)
    if case.twin:
        twin = _run(case, module, prism, twin=True)
        _check(case, twin)
        assert [(e.method, e.url, e.request_body) for e in twin.exchanges] == [
            (e.method, e.url, e.request_body) for e in run.exchanges
        ]


def test_prism_reports_requests_that_break_the_document(prisms: PrismPool) -> None:
    """The checks see bad requests, whichever way Prism answers them."""
    seed, fixture = prisms.get(SEED_API), prisms.get(FIXTURE_API)
    recorder = Recorder()
    seed_mark, fixture_mark = seed.mark(), fixture.mark()
    task = {"InstanceId": "i", "ContactFlowId": "f", "Name": "n"}
    with recorder.client(REQUEST_TIMEOUT) as http:
        # No Name: the document declares a 400, so Prism answers with it (and a header).
        http.post(
            f"{seed.url}/contact/task", json={"InstanceId": "i"}, headers={"Authorization": "k"}
        )
        # No credentials: 401.
        http.post(f"{seed.url}/contact/task", json=task)
        # An enum value the document does not allow, where it declares no 400: 422.
        http.get(f"{fixture.url}/jobs?state=lost", headers={"Authorization": "Bearer t"})
        # A conforming request.
        http.post(f"{seed.url}/contact/task", json=task, headers={"Authorization": "k"})
    bad_body, no_credentials, bad_query, good = recorder.exchanges
    assert [e.status_code for e in recorder.exchanges] == [400, 401, 422, 200]
    seed_log = seed.requests_since(seed_mark, expected=3)
    fixture_log = fixture.requests_since(fixture_mark, expected=1)

    problems = request_violations([bad_body, no_credentials, good], seed_log)
    assert any("request.body: " in p and "'Name'" in p for p in problems), problems
    assert any("Prism log" in p and "must have required property 'Name'" in p for p in problems)
    assert any("Prism UNAUTHORIZED" in p for p in problems), problems
    assert not any("-> 200" in p for p in problems), problems
    problems = request_violations([bad_query], fixture_log)
    assert any("Prism UNPROCESSABLE_ENTITY" in p and "state" in p for p in problems), problems
    assert request_violations([good], seed_log[2:]) == []


@pytest.mark.parametrize("workflow", ["reprint", "resubmit"])
def test_an_omitted_input_is_not_sent_as_null(
    workflow: str,
    prisms: PrismPool,
    compile_document: Callable[[Path, Mapping[str, Path]], Compiled],
) -> None:
    case = Case(
        id=workflow,
        document=FIXTURES / "print-queue.arazzo.yaml",
        workflow=workflow,
        openapi=FIXTURE_API,
        calls=("POST /jobs",),
        inputs={"request_id": "req-0000beef"},
        headers={"Authorization": "Bearer test-token"},
    )
    module = compile_document(case.document, {}).modules[workflow]
    run = _run(case, module, prisms.get(case.openapi))
    # Leaving the member or body out (Prism then answers 422: they are required) or refusing
    # to run are both fine; sending a value the caller never gave is not.
    sent = [e.request_body for e in run.exchanges]
    assert not any(b"null" in body for body in sent), sent
