/**
 * Every protocol limit, named once with its unit. No limit has a "0 = unlimited" value. Both ends pass
 * MAX_MESSAGE_BYTES to ws `maxPayload`, so an oversized frame is refused by the parser before it is buffered
 * (close code 1009), and codec.ts checks it again for transports that have no such option (the browser).
 */

/** Largest single WebSocket frame either end accepts (text or binary). A model travels in chunks below this. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Largest frame a peer may send before it has authenticated (its `hello`): a hello is a few KiB, and anything bigger
 * from a stranger is an attack on the parser. The host closes the socket as soon as more raw bytes than this arrive.
 */
export const MAX_PRE_AUTH_MESSAGE_BYTES = 64 * 1024;

/**
 * Deepest nesting of arrays and objects a frame may have. Protocol messages nest below 10; deeply nested input costs
 * the JSON parser time and stack out of proportion to its size, so it is refused by a linear scan before parsing.
 */
export const MAX_JSON_DEPTH = 32;

/** Payload bytes per binary `model-chunk` frame the host sends (the last chunk may be shorter). */
export const MODEL_CHUNK_BYTES = 1024 * 1024;

/** Largest JSON header inside a binary frame. */
export const MAX_BINARY_HEADER_BYTES = 16 * 1024;

/** Largest model the protocol allows. An agent may announce a lower cap in `hello.capabilities.maxModelBytes`. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

/** Jobs an agent runs at once: measurements never overlap, an offer to a busy agent is rejected (ZN_AGENT_BUSY). */
export const MAX_INFLIGHT_JOBS_PER_AGENT = 1;

/** Interval between agent heartbeats (and websocket pings). */
export const HEARTBEAT_MS = 2_000;

/** A peer that has answered nothing (no pong, no message) for this long is considered gone and the socket is dropped. */
export const HEARTBEAT_TIMEOUT_MS = 4 * HEARTBEAT_MS;

/** Time a new connection has to send a valid `hello` before the host closes it with 1008. */
export const HELLO_TIMEOUT_MS = 10_000;

/** Upper bound of a job's `timeoutMs` (load + all measurement passes). */
export const MAX_JOB_TIMEOUT_MS = 60 * 60 * 1_000;

/** Most timed samples a result may carry (raw list kept for robust statistics on the host). */
export const MAX_RESULT_SAMPLES = 100_000;

/** Largest input tensor an offer may ask for, in elements (the agent allocates it). */
export const MAX_INPUT_ELEMENTS = 64 * 1024 * 1024;

/** Longest free-text field (names, reasons, error messages). */
export const MAX_TEXT_CHARS = 4_096;

/** Reconnect backoff: delay = min(max, base * 2^attempt), then full jitter (uniform in [delay/2, delay]). */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;

/** A model transfer that receives no chunk for this long is abandoned and the job fails. */
export const MODEL_TRANSFER_IDLE_MS = 60_000;
