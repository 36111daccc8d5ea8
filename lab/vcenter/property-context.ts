// What property encoders may consult besides the inventory (sessions, views, the clock).
import type { LabInventory, MoRef } from './model.js';

export interface LabSession {
  key: string;
  userName: string;
  loginTime: number;
  lastActiveTime: number;
  ipAddress: string;
  userAgent: string;
  callCount: number;
}

export interface ContainerViewState {
  ref: MoRef;
  container: MoRef;
  types: string[];
  recursive: boolean;
  /** Resolved once at creation (this lab's inventory does not change while it runs). */
  view: MoRef[];
}

/** What property encoders may consult besides the inventory. */
export interface PropertyContext {
  inv: LabInventory;
  vcenterName: string;
  instanceUuid: string;
  startedAt: number;
  now(): number;
  session: LabSession | null;
  sessions(): LabSession[];
  views(): ContainerViewState[];
  view(value: string): ContainerViewState | undefined;
}
