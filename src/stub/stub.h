/* stub — the stub inference server.
 *
 * POST <path> {"model": M, "inputs": [...]} answers {"model": M, "outputs":
 * [...]}, one output per input, each a deterministic function of its input
 * alone; the other presets (OpenAI completions, chat and embeddings, KServe
 * v2, TGI) answer in their servers' shapes, equally deterministic. GET
 * /healthz and GET /stats are always served. A latency model (delay,
 * per-item cost, jitter, workers + FIFO queue, error rate, stalls) decides
 * when each answer is sent; completions, chat and TGI are timed by a model
 * of a continuous-batching engine instead and stream SSE on request, or
 * play a scripted stream. Delays are loop timers, never sleeps.
 *
 * stub_start binds and runs the server on its own thread(s) (one SO_REUSEPORT
 * listener and event loop per thread); the caller's thread is free. The
 * library never prints: failures come back as an errno value plus words in
 * the caller's err buffer. */
#ifndef TAILGATE_STUB_STUB_H
#define TAILGATE_STUB_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    STUB_JITTER_NONE,
    STUB_JITTER_UNIFORM,   /* uniform in [0, scale) */
    STUB_JITTER_EXP,       /* exponential with mean scale */
    STUB_JITTER_LOGNORMAL, /* lognormal with median scale, sigma 1 */
} stub_jitter_t;

/* The APIs the stub speaks: each a request shape, a
 * default path and an answer shape (stub/api.h has the routes). */
typedef enum {
    STUB_API_ALL,                /* every preset at once, each at its default path */
    STUB_API_TAILGATE,           /* POST /v1/infer {"model","inputs"} -> {"outputs"} */
    STUB_API_OPENAI_COMPLETIONS, /* POST /v1/completions */
    STUB_API_OPENAI_CHAT,        /* POST /v1/chat/completions */
    STUB_API_OPENAI_EMBEDDINGS,  /* POST /v1/embeddings */
    STUB_API_KSERVE_V2,          /* POST /v2/models/{model}/infer */
    STUB_API_TGI,                /* POST /generate and /generate_stream */
} stub_api_t;

/* A preset the LLM engine serves (completions, chat, TGI: slots, steps,
 * tokens); the others are timed by --delay/--per-item. */
static inline bool stub_api_llm(stub_api_t a)
{
    return a == STUB_API_OPENAI_COMPLETIONS || a == STUB_API_OPENAI_CHAT || a == STUB_API_TGI;
}

#define STUB_MAX_SCRIPTS 16

typedef struct {
    char host[256];       /* numeric address or name; "" = 0.0.0.0 */
    uint16_t port;        /* 0 = ephemeral (read it back with stub_port) */
    char path[256];       /* inference path, default "/v1/infer" */
    unsigned threads;     /* >= 1 */
    uint64_t delay_ns;    /* per request */
    uint64_t per_item_ns; /* per input */
    stub_jitter_t jitter; /* added to delay + per_item * n */
    uint64_t jitter_scale_ns;
    uint64_t seed;           /* PRNG seed for jitter and errors */
    uint64_t workers;        /* requests served at once; 0 = unlimited */
    uint64_t queue;          /* requests waiting for a worker beyond which 503 */
    double error_rate;       /* 0..1, fraction answered 500 */
    uint64_t stall_every_ns; /* 0 = never stall */
    uint64_t stall_for_ns;
    uint64_t max_body;          /* bytes; larger bodies get 413 */
    uint64_t header_timeout_ns; /* whole request must arrive within this: 408 */
    uint64_t h2_max_streams;    /* HTTP/2: SETTINGS_MAX_CONCURRENT_STREAMS, >= 1 */
    bool shuffle_outputs;       /* TEST-ONLY: reorder outputs of batches > 1 */
    const char *tls_cert;       /* PEM certificate chain: serve HTTPS (with tls_key) */
    const char *tls_key;        /* its private key; both NULL = plain HTTP */
    stub_api_t api;             /* STUB_API_ALL: path is the tailgate preset's */
    /* The LLM engine behind completions, chat and TGI (stub/engine.h). */
    uint64_t max_seqs;             /* sequences decoding at once; split per thread */
    uint64_t step_ns;              /* fixed cost of a decode step */
    uint64_t step_per_seq_ns;      /* added per sequence in the step */
    uint64_t prefill_per_token_ns; /* added per prompt token admitted in the step */
    uint64_t output_tokens;        /* 0 = the request's max_tokens (or the API's default) */
    uint64_t tokens_per_chunk;     /* tokens per streamed event, >= 1 */
    /* Scripted streams (stub/script.h): "FILE" (every streaming request) or
     * "MODEL=FILE" (requests for that model). Read by stub_start. */
    const char *scripts[STUB_MAX_SCRIPTS];
    unsigned nscripts;
} stub_config_t;

typedef struct stub stub_t;

/* Fills the defaults: 127.0.0.1:8000, /v1/infer, 1 thread, no delay, no
 * jitter, seed 1, unlimited workers, queue 65536, max_body 8 MiB,
 * header_timeout 10 s, every API, 256 sequences, no step cost, one token per
 * event, no scripts. */
void stub_config_defaults(stub_config_t *cfg);

/* The preset's name ("openai-chat"; "all" for STUB_API_ALL). */
const char *stub_api_name(stub_api_t api);
/* Name -> preset. Returns 0, or -1 for an unknown name. */
int stub_api_parse(const char *name, stub_api_t *out);
/* The preset's default path ("/v2/models/{model}/infer": {model} matches one
 * path segment). STUB_API_ALL: the tailgate preset's. */
const char *stub_api_path(stub_api_t api);

/* Checks a configuration. Returns 0, or EINVAL with the option at fault named
 * in err (e.g. "--threads (4) must not exceed --workers (2)"). */
int stub_config_check(const stub_config_t *cfg, char *err, size_t errlen);

/* Validates, binds, and starts the server threads. On success *out is the
 * running server (release with stub_stop) and 0 is returned. Otherwise an
 * errno value: EINVAL (bad configuration or address, a certificate or key
 * that is not usable), EADDRINUSE (port taken), EACCES, ENOENT (certificate
 * file missing) ... with a description in err. With TLS the process must
 * ignore SIGPIPE (OpenSSL writes with write(2)). */
int stub_start(const stub_config_t *cfg, stub_t **out, char *err, size_t errlen);

/* The bound port (useful when cfg->port was 0). */
int stub_port(const stub_t *stub);

/* The bound address as text for a URL: "127.0.0.1" or "[::1]". */
const char *stub_host(const stub_t *stub);

/* Stops accepting, lets in-flight requests finish (grace: delay + 1 s, at
 * most 5 s), joins the threads and frees everything. NULL is fine. */
void stub_stop(stub_t *stub);

#endif
