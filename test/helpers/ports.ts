// Ports for tests: one free (to start a server on) or closed (connections refused), both on 127.0.0.1.
import { freePort } from '../../common/free-port.js';

export { freePort };

/** A loopback port with nothing listening: connecting to it is refused at once. */
export const closedPort = freePort;
