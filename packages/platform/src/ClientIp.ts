// The client address as the HTTP edge saw it, passed to handlers in a header the edge always overwrites.
export const CLIENT_IP_HEADER = "x-lectern-client-ip"
