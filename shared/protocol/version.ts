/**
 * Protocol version. Every message carries it as `v`; a receiver answers any other value with ZN_PROTOCOL_VERSION
 * and closes with CLOSE_CODES.version. Bump it for any change an old peer would misread (a new required field,
 * a changed meaning); optional additions that old peers can ignore keep the version.
 */
export const PROTOCOL_VERSION = 1 as const;
export type ProtocolVersion = typeof PROTOCOL_VERSION;
