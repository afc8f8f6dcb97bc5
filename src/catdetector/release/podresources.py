"""The server container's CPU and memory (``resources`` in deployment.yaml): each value
beside the bench figures it comes from (bench/README.md), written as a comment in the
manifest.

A server that follows the registry's ``shadow`` stage (the default of ``catdetector
serve``) runs one more process per server process (``serve.shadowproc``): its memory is
part of the pod's, so the request and the limit include it whenever the manifests'
server follows a shadow.

A server that follows the registry's ``canary`` stage (the default of ``catdetector serve``
too) holds the canary in its own process: a second loaded bundle (for the pretrained rung
a second onnxruntime session, backbone and head) while a version is in ``canary``. Its
memory is counted too whenever the manifests' server follows a canary.
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

SHADOW_STAGE = "shadow"  # registry.state.SHADOW, a layer above this one (a test ties them)
CANARY_STAGE = "canary"  # registry.state.CANARY (a test ties them)

CPU_REQUEST = "1"
CPU_REQUEST_WHY = (
    "bench/README.md 'serve': one request at a time (c1 p50 5.73 ms, 178 req/s) keeps one core busy"
)
CPU_LIMIT = "2"
CPU_LIMIT_WHY = (
    "bench/README.md 'serve' and 'serve_deep': c8 throughput (349 req/s linear, 146-172 req/s "
    "pretrained int8, 1 worker with 2 predict lanes) was measured on 2 cores"
)

# Megabytes (10^6 bytes) as bench/README.md gives them.
SERVER_MB = 352  # 'serve_deep': peak Pss of the default server, pretrained rung
HOSTILE_MB = 419  # 'hostile input': the most above idle under 16 concurrent 6300x6300 PNGs
# The shadow process: Pss 176-178 MiB with the linear rung beside the server's 190-194
# MiB (bench 'shadow', a whole shadow process). bench/shadow_memory.py (its imports, the
# bundle, copies one at a time; not its log writer) on 2026-12-07: 163 MiB with a small
# rung, 268 MiB with the pretrained rung (peak RSS 302 MiB). Taken at the server's own
# peak, SERVER_MB (352 MB = 336 MiB): above both, with room for the log writer.
SHADOW_MB = SERVER_MB
DECODE_MB = 400  # it decodes one copy at a time: at most one request's decode budget
# The canary: a second bundle in the server process (its decode shares the server's budget).
# bench/canary_memory.py on 2026-12-07 (a server following prod and canary against one with
# --no-canary, peak Pss at c8 with the canary answering 50 %, medians of 3 rounds): +26 MB
# with the pretrained rung's int8 backbone (284 against 258 MB), +121 MB with a float32
# backbone in canary (379 against 258 MB), +2 MB with the linear rung (194 against 191 MB).
# A second run (5 rounds): +98 MB float32 (97-100 per round), +27 MB int8. Counted as 150
# MB: the largest float32 figure with room.
CANARY_MB = 150

MEMORY_REQUEST = "512Mi"
MEMORY_REQUEST_WHY = f"bench/README.md 'serve_deep': peak Pss {SERVER_MB} MB of the default server"
MEMORY_LIMIT = "1Gi"
MEMORY_LIMIT_WHY = (
    f"{SERVER_MB} MB + bench/README.md 'hostile input': 382-{HOSTILE_MB} MB peak above idle under "
    "16 concurrent 6300x6300 PNGs (decode budget CATDETECTOR_DECODE_MEMORY 400 MB) = 771 MB"
)
SHADOW_MEMORY_REQUEST = "768Mi"
SHADOW_MEMORY_REQUEST_WHY = (
    f"{SERVER_MB} MB server + {SHADOW_MB} MB shadow process (bench/README.md 'shadow': 178 MiB "
    "with the linear rung; bench/shadow_memory.py: 268 MiB with the pretrained rung) = "
    f"{SERVER_MB + SHADOW_MB} MB"
)
SHADOW_MEMORY_LIMIT = "1536Mi"
SHADOW_MEMORY_LIMIT_WHY = (
    f"771 MB (the server, hostile input) + {SHADOW_MB} MB shadow process + its decode of one "
    f"copy, at most the decode budget {DECODE_MB} MB = {771 + SHADOW_MB + DECODE_MB} MB"
)


CANARY_WHY = "bench/README.md 'canary memory'"
CANARY_MEMORY_REQUEST = "512Mi"  # the figure without a canary still covers it
CANARY_MEMORY_REQUEST_WHY = (
    f"{SERVER_MB} MB server + {CANARY_MB} MB canary in the server process ({CANARY_WHY}) = "
    f"{SERVER_MB + CANARY_MB} MB"
)
CANARY_MEMORY_LIMIT = "1Gi"  # the same
CANARY_MEMORY_LIMIT_WHY = (
    f"771 MB (the server, hostile input) + {CANARY_MB} MB canary ({CANARY_WHY}; the decode "
    f"budget is the server's) = {771 + CANARY_MB} MB"
)
SHADOW_CANARY_MEMORY_REQUEST = "896Mi"
SHADOW_CANARY_MEMORY_REQUEST_WHY = (
    f"{SERVER_MB} MB server + {CANARY_MB} MB canary ({CANARY_WHY}) + {SHADOW_MB} MB shadow "
    f"process (bench/README.md 'shadow') = {SERVER_MB + CANARY_MB + SHADOW_MB} MB"
)
SHADOW_CANARY_MEMORY_LIMIT = "1792Mi"
SHADOW_CANARY_MEMORY_LIMIT_WHY = (
    f"771 MB (the server, hostile input) + {CANARY_MB} MB canary ({CANARY_WHY}) + {SHADOW_MB} "
    f"MB shadow process + its decode of one copy, {DECODE_MB} MB = "
    f"{771 + CANARY_MB + SHADOW_MB + DECODE_MB} MB"
)

Memory = tuple[tuple[str, str], tuple[str, str]]
MEMORY: dict[tuple[bool, bool], Memory] = {  # (shadow, canary): ((request, why), (limit, why))
    (False, False): ((MEMORY_REQUEST, MEMORY_REQUEST_WHY), (MEMORY_LIMIT, MEMORY_LIMIT_WHY)),
    (True, False): (
        (SHADOW_MEMORY_REQUEST, SHADOW_MEMORY_REQUEST_WHY),
        (SHADOW_MEMORY_LIMIT, SHADOW_MEMORY_LIMIT_WHY),
    ),
    (False, True): (
        (CANARY_MEMORY_REQUEST, CANARY_MEMORY_REQUEST_WHY),
        (CANARY_MEMORY_LIMIT, CANARY_MEMORY_LIMIT_WHY),
    ),
    (True, True): (
        (SHADOW_CANARY_MEMORY_REQUEST, SHADOW_CANARY_MEMORY_REQUEST_WHY),
        (SHADOW_CANARY_MEMORY_LIMIT, SHADOW_CANARY_MEMORY_LIMIT_WHY),
    ),
}


def memory(shadow: bool, canary: bool = False) -> Memory:
    """((request, why), (limit, why)) of a server with or without a shadow process, and
    with or without a canary beside its model."""
    return MEMORY[shadow, canary]


def resources(shadow: bool, canary: bool = False) -> CommentedMap:
    """The container's ``resources``, each value with its source as a comment."""
    (request, request_why), (limit, limit_why) = memory(shadow, canary)
    out = CommentedMap(
        requests=CommentedMap(cpu=CPU_REQUEST, memory=request),
        limits=CommentedMap(cpu=CPU_LIMIT, memory=limit),
    )
    out["requests"].yaml_add_eol_comment(CPU_REQUEST_WHY, "cpu")
    out["requests"].yaml_add_eol_comment(request_why, "memory")
    out["limits"].yaml_add_eol_comment(CPU_LIMIT_WHY, "cpu")
    out["limits"].yaml_add_eol_comment(limit_why, "memory")
    return out
