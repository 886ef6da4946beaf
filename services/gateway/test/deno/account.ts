// The account the Deno client flow registers, shared with the Node test that checks it afterwards.

/** Every run registers a new address, so runs against one gateway never collide. */
export const flowEmail = (): string => `deno.${crypto.randomUUID()}@example.com`

export const FLOW_PASSWORD = "a long and private passphrase, typed in Deno"
