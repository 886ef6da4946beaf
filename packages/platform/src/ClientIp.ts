// The client address as the HTTP edge saw it, passed to handlers in a header the edge always overwrites, and the
// headers by which the in-process web app forwards its browser's address (trusted only with the process's secret).
export const CLIENT_IP_HEADER = "x-lectern-client-ip"

/** The browser's address, sent by the web app's server functions on their calls (see `@lectern/client`). */
export const FORWARDED_CLIENT_HEADER = "x-lectern-forwarded-client"

/** The gateway's per-process secret, proving a forwarded address comes from its own web app. */
export const FORWARDING_SECRET_HEADER = "x-lectern-forwarding-secret"
