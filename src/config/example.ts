/**
 * The annotated starting config `aosiq init` writes. It must always load: a test holds it
 * to that, so the example cannot drift from the schema.
 */

/**
 * A commented example `aosiq.yaml` with a working setup (one root, three actor classes,
 * one harmless operator command).
 *
 * @example
 * writeFileSync('aosiq.yaml', exampleConfig());
 */
export function exampleConfig(): string {
  return `# aosiq.yaml: the configuration of an AOSIQ runtime.
# Every key is checked; a misspelt key is an error, reported with its line and column.
version: 1

# Capability tokens handed to actors.
token:
  issuer: aosiq               # "iss" claim of every token this runtime signs
  audience: aosiq             # "aud" claim; tokens for another audience are refused
  ttl_seconds: 3600           # default token lifetime; env AOS_TOKEN_TTL_SECONDS overrides it
  max_delegation_depth: 4     # how many times an actor's authority may be handed down

limits:
  max_args_bytes: 65536       # largest canonical JSON of one call's arguments

# The authority of the local operator (the CLI). Actors spawned from the command line get
# the intersection of their class template and these grants, never more.
operator:
  name: local-operator
  grants:
    - tool: "*"

# Actor classes: what each kind of actor may do. A grant names a tool ("fs.read"), a
# family ("fs.*") or "*", and may constrain arguments: eq, oneOf, prefix or range.
actor_classes:
  reviewer:
    kind: agent               # agent (reasons with an LLM) | job (scheduled) | script
    description: Reads the workspace and writes nothing.
    capabilities:
      - tool: fs.read           # workspace is the only root, so this means "under workspace"
      - tool: fs.list
      - tool: llm.ollama          # model calls: the grant names the backend, may constrain the model
        constraints:
          model: [{ prefix: "llama3" }]
    allowed_backends: [ollama]   # LLM backends this class may reach, whatever its grants say; [] means none
    session_ceiling_usd: 5.00    # spending limit of one session, checked before each model call; omit for none
    # daily_ceiling_usd: 50      # the whole class, per UTC day
    # default_max_tokens: 4096   # output cap of a model call that sets none (ceilings reserve against it)
    # allow_unpriced_models: false   # a model with no price is refused unless this is true
    # compute_usd_per_hour: 0    # what its tool calls' wall time costs, in the ledger
    # Tool results that look like instructions to the model: warn (default), redact or block;
    # a scan (of a result over 4 KB) cut off after scan_timeout_ms counts as flagged.
    untrusted_content: { action: warn, threshold: 0.5, scan_timeout_ms: 2000 }
    token_ttl_seconds: 1800      # overrides token.ttl_seconds for this class
    require_grounding: true      # an agent must read and cite evidence (E1, ...) before proposing a change

  janitor:
    kind: job
    description: Clears temporary files under workspace/tmp/.
    capabilities:
      - tool: fs.list
      - tool: fs.delete           # irreversible: each call waits for a human approval
        constraints:
          path: [{ prefix: "tmp/" }]
    allowed_backends: []
    # A run waiting hours for an approval would outlive its token; refresh it when a worker
    # picks the run up again, for at most a week after it started.
    token_refresh: { on_dispatch: true, max_lifetime_seconds: 604800 }

  deployer:
    kind: script
    description: Runs the operator's announce command.
    capabilities:
      - tool: command.announce
        constraints:
          message: [{ oneOf: [deploy-started, deploy-finished] }]
    allowed_backends: []

# What tools may touch.
tools:
  # Named directories the fs.* tools work in; relative paths are from this file's folder.
  roots:
    workspace: ./workspace

  # http.get / http.request reach only these hosts ("*.example.com" covers subdomains).
  http:
    allow_hosts: [localhost, 127.0.0.1]
    timeout_ms: 10000
    max_response_bytes: 1048576

  # Operator commands, run without a shell. Each becomes a tool "command.<name>"; every
  # {placeholder} in argv becomes a required string argument of that tool.
  commands:
    announce:
      argv: [echo, "{message}"]
      description: Prints a message.
      blast_radius: low       # low | medium | high | critical: shown to the approver
      reason: prints text and changes nothing
      timeout_ms: 30000

  # Your own tool modules (ES modules default-exporting tool definitions).
  modules: []

# How irreversible calls are approved. Each setting comes from the most specific place that
# names it: tools, then classes, then default.
approvals:
  default:
    expires_after_seconds: 86400   # an approval not used by then is void; the actor must ask again
    quorum: 1                      # distinct approvers needed
    separation_of_duties: true     # whoever caused a request may not approve it
  tools: {}
    # fs.delete: { quorum: 2, approvers: ["key:alice", "key:bob", "key:carol"] }
  classes: {}
    # deployer: { expires_after_seconds: 3600 }

# The transparency log over every audit event: signed checkpoints, anchored outside the
# database so that rewriting the database alone is detectable.
audit:
  origin: aosiq/local              # names this log in its checkpoints
  checkpoint_every_events: 1000    # sign a checkpoint after this many new events...
  checkpoint_every_seconds: 60     # ...or this long after the last one, whichever comes first
  anchors:
    directory: ./.aosiq-anchors    # keep it on storage the database's credentials cannot write (null: off)
    # S3-compatible object storage, on credentials of its own, written once per checkpoint
    # (If-None-Match: *). Keys come from the environment variables named here.
    # s3:
    #   bucket: aosiq-anchors
    #   prefix: prod/
    #   region: us-east-1
    #   endpoint: https://s3.example.internal   # for S3-compatible stores; omit for AWS
    #   force_path_style: true                  # most S3-compatible stores want this
    #   access_key_id_env: AOS_ANCHOR_S3_ACCESS_KEY_ID
    #   secret_access_key_env: AOS_ANCHOR_S3_SECRET_ACCESS_KEY
    #   object_lock: { mode: COMPLIANCE, retain_days: 365 }   # needs a bucket with Object Lock

# Model backends, by the name classes list in allowed_backends. Keys stay in the environment.
# Prices (USD per million tokens) override the shipped table (src/ledger/prices.ts); a local
# backend can be priced by its time instead.
llm:
  backends:
    # A local model server (Ollama's default address). Priced by its time: set what an hour of
    # it costs you; 0 records every call at $0 on purpose, which is not the same as unpriced.
    ollama: { kind: ollama, base_url: http://127.0.0.1:11434, compute_usd_per_hour: 0 }
    # openai:
    #   kind: openai                 # also vLLM, llama.cpp server, LM Studio
    #   base_url: https://api.openai.com/v1
    #   api_key_env: OPENAI_API_KEY
    #   prices: { "my-finetune*": { input_per_mtok: 3, output_per_mtok: 12 } }
    # anthropic: { kind: anthropic, base_url: https://api.anthropic.com, api_key_env: ANTHROPIC_API_KEY }

# Upstream MCP servers behind the gateway: their tools join the registry as <prefix>.<tool>,
# irreversible unless marked reversible here, and are offered only once pinned after review
# (aosiq mcp-servers diff / pin; pins in aosiq.mcp-pins.json). See docs/mcp.md.
# mcp_servers:
#   files:
#     command: [npx, -y, "@modelcontextprotocol/server-filesystem@2026.8.31", ./workspace]   # a pinned version
#     tools:
#       read_text_file: { reversible: true, blast_radius: low, reason: reads a workspace file }
#       write_file: { blast_radius: high, reason: overwrites a workspace file }

# Workflows: deterministic actors the runtime runs itself. Each run is an actor of the
# workflow's class; each step is one tool call through the same syscall as an agent's (grants,
# approvals, audit, ledger). Arguments may use {{ inputs.<name> }} and
# {{ steps.<id>.result.<path> }}. Run one with \`aosiq run <workflow>\`, or POST
# /api/v1/workflows/<name>/runs; a schedule starts one run per tick across all workers.
workflows:
  workspace-inventory:
    class: janitor
    description: Lists the workspace and its tmp/ folder.
    schedule: "0 * * * *"          # croner syntax (seconds optional); one run per tick, however many workers
    timezone: UTC
    inputs:
      folder: { description: folder under workspace to list, default: "." }
    steps:
      - id: top
        tool: fs.list
        args: { path: "{{ inputs.folder }}" }
      - id: tmp
        tool: fs.list
        when: { value: "{{ inputs.folder }}", equals: "." }   # a condition on a rendered value
        args: { path: tmp }
        retries: 2                    # further attempts after a failed call, back-off doubling
        backoff_ms: 500
        timeout_ms: 10000
        on_failure: continue          # fail (default) ends the run; continue records it and goes on

# Agents: reasoning loops the runtime runs itself. Each run is an actor of the agent's class:
# its model calls go through the class's envelope and ceilings, its tool calls through its
# grants and approvals; tool output reaches the model wrapped as untrusted data.
# Run one with \`aosiq run triage --task "..."\`.
agents:
  triage:
    class: reviewer
    description: Reads the workspace and answers questions about it.
    backend: ollama
    model: llama3.2                # the reviewer grant allows models starting with "llama3"
    max_steps: 8                   # model turns before the run ends as failed
    max_tokens: 1024               # output cap of each model call

# How workers hold actors. Every process that runs \`aosiq start\` or \`aosiq worker\` runs them;
# with PostgreSQL, any number of processes share the work.
scheduler:
  concurrency: 4                   # actors one worker runs at once
  lease_ms: 15000                  # a worker silent this long loses its actors...
  sweep_ms: 2000                   # ...and another requeues them within one more sweep
  poll_ms: 1000                    # idle workers also wake on NOTIFY

# Who may call the HTTP API besides holders of API keys (aosiq keys api create). A caller's
# scopes are the union of every rule its credential matches; one matching none may do nothing.
auth: {}
  # oidc:                                  # bearer JWTs from your identity provider
  #   issuer: https://idp.example.com      # exactly the tokens' iss; keys from its discovery document
  #   audience: aosiq
  #   algorithms: [RS256, ES256]
  #   rules:
  #     - { claim: groups, equals: platform-ops, scopes: { approve: true, audit: true } }
  #   dashboard: { client_id: aosiq-dashboard, scope: openid }   # sign-in to the dashboard at the issuer
  # tls: { cert_file: tls/server.pem, key_file: tls/server-key.pem }   # serve HTTPS
  # mtls:                                  # client certificates, when no Authorization header is sent
  #   client_ca_file: tls/clients-ca.pem
  #   subjects:
  #     - { common_name: ci-deployer, scopes: { spawn_classes: [janitor], grants: [{ tool: fs.list }] } }
`;
}
