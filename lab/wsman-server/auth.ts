// The Authorization header's schemes: NTLM inside Negotiate (a two-leg handshake on one connection) and Basic.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { charsetOf, decodeSoap, isEncryptedContentType } from '../../collectors/wsman/encryption.js';
import { messageType } from '../../collectors/wsman/ntlm/messages.js';
import type { ServerContext } from './context.js';
import { NtlmAuthFailure, NtlmServerContext } from './ntlm-acceptor.js';
import { answer, type ConnState, type Listener, refusePlaintext, unauthorized } from './respond.js';

/**
 * One Negotiate leg. Type 1 starts a fresh handshake (answered with the challenge); type 3 completes it and
 * returns true when the connection is now authenticated (the caller then serves the request it carries).
 */
export function negotiateStep(ctx: ServerContext, l: Listener, state: ConnState, res: ServerResponse, token: string): boolean {
  const raw = Buffer.from(token, 'base64');
  const type = messageType(raw);
  if (type === 1) {
    state.session = undefined;
    state.user = undefined;
    state.ntlm = new NtlmServerContext({ computerName: ctx.computerName, lookup: ctx.lookup, channelBinding: l.channelBinding });
    unauthorized(res, l, {}, state.ntlm.challenge(raw).toString('base64'));
    return false;
  }
  if (type === 3 && state.ntlm) {
    try {
      const ok = state.ntlm.authenticate(raw);
      state.session = ok.session;
      state.user = ok.account;
      state.ntlm = undefined;
      ctx.stats.authentications++;
      if (ok.channelBound) ctx.stats.channelBound++;
      return true;
    } catch (e) {
      ctx.stats.authFailures++;
      state.ntlm = undefined;
      ctx.log?.debug({ err: (e as Error).message }, 'WS-Man server: NTLM authentication failed');
      if (!(e instanceof NtlmAuthFailure)) ctx.log?.warn({ err: e }, 'WS-Man server: malformed NTLM message');
      unauthorized(res, l);
      return false;
    }
  }
  // A type 3 without a challenge, or any other message.
  ctx.stats.authFailures++;
  unauthorized(res, l);
  return false;
}

/** Basic: each request carries its own credentials; the body is always plain SOAP. */
export async function serveBasic(
  ctx: ServerContext,
  l: Listener,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  token: string,
): Promise<void> {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const account = i < 0 ? decoded : decoded.slice(0, i);
  const password = i < 0 ? '' : decoded.slice(i + 1);
  const bs = account.indexOf('\\');
  const expected = ctx.lookup(bs < 0 ? account : account.slice(bs + 1), bs < 0 ? '' : account.slice(0, bs));
  if (expected === undefined || expected !== password) {
    ctx.stats.authFailures++;
    unauthorized(res, l);
    return;
  }
  ctx.stats.authentications++;
  const contentType = req.headers['content-type'];
  if (isEncryptedContentType(contentType)) return refusePlaintext(res, ctx.stats);
  return answer(res, ctx.dispatcher, ctx.stats, null, decodeSoap(body, charsetOf(contentType)), account, false);
}
