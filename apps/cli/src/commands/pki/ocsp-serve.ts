import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { RevocationServices } from '@openmyna/issuer';
import type { Hierarchy } from '@openmyna/pki';
import type { Command } from 'commander';

import type { CliIo } from '../../io.js';
import { loadAuthorityWithResponder } from '../../issuer-service.js';
import { withIssuerRegistry } from '../../issuer-registry.js';
import { integerOption } from '../../options.js';
import { DATA_OPTION, DB_OPTION, dataDirOf } from './pki-options.js';

/** RFC 6960 requests are small; a larger body is refused with 413. */
const OCSP_REQUEST_LIMIT = 64 * 1024;

/** `openmyna pki ocsp-serve` */
export function registerOcspServeCommand(pki: Command, io: CliIo): void {
  pki
    .command('ocsp-serve')
    .description(
      "run only the OCSP responders (POST and GET) at /ocsp/signing and /ocsp/authentication over the issuer's registry (`issuer serve` runs them with everything else)",
    )
    .option(...DATA_OPTION)
    .option(...DB_OPTION)
    .option('--port <port>', 'TCP port on 127.0.0.1', integerOption('--port', 0, 65535), 8080)
    .action(async (flags: { data: string; db?: string; port: number }) => {
      const dir = dataDirOf(io, flags);
      const authorities = {
        signing: await loadAuthorityWithResponder(dir, 'signing'),
        authentication: await loadAuthorityWithResponder(dir, 'authentication'),
      };
      await withIssuerRegistry(dir, flags.db, async (context) => {
        // Answers are re-read from the registry at least every 60 s, so a revocation shows within a minute.
        const server = ocspServer(new RevocationServices(context, authorities), io);
        await new Promise<void>((ready) => server.listen(flags.port, '127.0.0.1', ready));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : flags.port;
        io.stdout.write(
          `OCSP responders on http://127.0.0.1:${port}/ocsp/signing and /ocsp/authentication (Ctrl-C stops)\n`,
        );
        await new Promise<void>((stopped) => {
          const stop = () => server.close(() => stopped());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });
}

function ocspServer(services: RevocationServices, io: CliIo): Server {
  const server = createServer((request, response) => {
    void serveOcsp(request, response, services).catch((error: unknown) => {
      // A client that went away mid-body (or any request that failed) costs that request only.
      io.stderr.write(`openmyna: an OCSP request failed: ${(error as Error).message}\n`);
      if (!response.headersSent) response.writeHead(request.destroyed ? 400 : 500).end();
      else response.destroy();
    });
  });
  // Slow clients are cut off instead of holding connections open.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

async function serveOcsp(
  request: IncomingMessage,
  response: ServerResponse,
  services: RevocationServices,
): Promise<void> {
  const match = /^\/ocsp\/(signing|authentication)(?:\/(.*))?$/.exec(request.url ?? '');
  const hierarchy = match?.[1] as Hierarchy | undefined;
  if (!hierarchy) {
    response.writeHead(404).end();
    return;
  }
  let body: Uint8Array;
  if (request.method === 'GET' && match?.[2]) body = await services.ocsp(hierarchy, match[2]);
  else if (request.method === 'POST') {
    const requestBody = await readLimited(request);
    if (!requestBody) {
      response.writeHead(413).end();
      return;
    }
    body = await services.ocsp(hierarchy, requestBody);
  } else {
    response.writeHead(405, { allow: 'GET, POST' }).end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/ocsp-response',
    'content-length': body.length,
    'cache-control': 'max-age=60, public',
  });
  response.end(body);
}

/** The request body, or `undefined` once it grows past {@link OCSP_REQUEST_LIMIT}. */
async function readLimited(request: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > OCSP_REQUEST_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
