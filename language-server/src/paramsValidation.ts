// Every request's params are checked against their schema (common/protocolSchemas.ts) before a
// handler sees them; a bad one is answered with InvalidParams and a message that names the field.
import { ErrorCodes, ResponseError, type CancellationToken } from "vscode-languageserver/node";
import type { z } from "zod";
import { describe } from "../../common/protocolSchemas";

/** The params as the schema makes them, or InvalidParams (-32602): "stand/solve: temperature must be …". */
export function parseParams<S extends z.ZodType>(method: string, schema: S, params: unknown): z.output<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${describe(parsed.error, params)}`);
  return parsed.data;
}

/** A request handler that runs only on params its schema accepts. */
export function validated<S extends z.ZodType, R>(
  method: string,
  schema: S,
  handler: (params: z.output<S>, token: CancellationToken) => R,
): (params: unknown, token: CancellationToken) => R {
  return (params, token) => handler(parseParams(method, schema, params), token);
}
