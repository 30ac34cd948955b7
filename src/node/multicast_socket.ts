/**
 * The multicast receive socket of the Deno transport, with a large kernel receive buffer where
 * the OS allows it. [R-NODE-REL-010]
 *
 * Deno 2.9's `Deno.listenDatagram` has no receive-buffer option, and `node:dgram`'s
 * `recvBufferSize` / `setRecvBufferSize()` only record the number (`getRecvBufferSize()` reports
 * twice the value asked) while the kernel buffer stays at `net.core.rmem_default` (checked with
 * `ss -uam` on Deno 2.9.6); its receive path was also ten times slower here. So the socket is
 * opened with `Deno.listenDatagram` and, on Linux when the process may use FFI, its descriptor is
 * found as the one datagram socket that appeared while it was opened (`fstat` and
 * `getsockopt(SO_TYPE)` on each open descriptor through libc: Deno 2.9 lets only `--allow-all`
 * read `/proc/self/fd` or `/proc/net/udp`) and `setsockopt(SO_RCVBUF)` is called on it. Kernel
 * drops are read with `getsockopt(SO_MEMINFO)` on that descriptor (the `SK_MEMINFO_DROPS` entry,
 * the same counter as the `drops` column of `/proc/net/udp`; source `sockopt`, needs only FFI),
 * else from `/proc/net/udp` by the socket's inode where the process may read it (source `proc`;
 * Deno 2.9: `--allow-all`), else not at all (source `unavailable`: the count stays 0 and means
 * "cannot know"). [R-NODE-REL-017] Linux caps the size at `net.core.rmem_max` (and reports twice
 * the granted size); only root can raise that cap (`sysctl net.core.rmem_max=...`). Elsewhere,
 * or without the permissions, the socket keeps the OS default and the stats say so.
 *
 * @module
 */

import type { TransportStats } from "./transport.ts";

/** The kernel receive buffer of the multicast receive socket, as the transport's stats hold it. */
export type ReceiveBufferInfo = TransportStats["multicastReceiveBuffer"];

/** Where the kernel drop count of a receive socket comes from, as the transport's stats hold it. */
export type KernelDropsSource = TransportStats["multicastKernelDropsSource"];

/** A bound multicast receive socket (not yet joined to a group). */
export interface MulticastReceiveSocket {
  /** The socket; join the group with `joinMulticastV4` and read it with `receive`. */
  socket: Deno.DatagramConn;
  /** What the kernel granted. */
  buffer: ReceiveBufferInfo;
  /**
   * Datagrams the kernel dropped at this socket since it was opened (its receive buffer was
   * full), read from {@linkcode MulticastReceiveSocket.kernelDropsSource}; always 0 where that
   * is `unavailable`, and after {@linkcode MulticastReceiveSocket.close}. [R-NODE-REL-017]
   */
  kernelDrops(): number;
  /**
   * `sockopt` (`getsockopt(SO_MEMINFO)` through FFI), `proc` (`/proc/net/udp`) or `unavailable`
   * (neither could be used: a 0 from `kernelDrops()` then means "cannot know").
   */
  kernelDropsSource: KernelDropsSource;
  /** Close the socket and release what reading its drops needed (libc). Idempotent. */
  close(): void;
}

const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
/** Linux: an array of `SK_MEMINFO_VARS` u32 values (include/uapi/linux/sock_diag.h). */
const SO_MEMINFO = 55;
/** Index of `sk_drops` in the `SO_MEMINFO` array (Linux 4.7+; 9 entries since). */
const SK_MEMINFO_DROPS = 8;
const SO_TYPE = 3;
const SOCK_DGRAM = 2;

/**
 * Open a UDP socket on `0.0.0.0:port` with address reuse, and ask for a kernel receive buffer of
 * `receiveBufferBytes` (0: leave the OS default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMulticastReceiveSocket } from "./multicast_socket.ts";
 * const r = openMulticastReceiveSocket(0, 1 << 20);
 * assert.equal(r.buffer.requestedBytes, 1 << 20);
 * assert.equal(r.kernelDrops(), 0);
 * // Under `deno test --allow-all` on Linux: "sockopt"; without FFI or /proc: "unavailable".
 * assert.ok(["sockopt", "proc", "unavailable"].includes(r.kernelDropsSource));
 * r.close();
 * ```
 */
export function openMulticastReceiveSocket(
  port: number,
  receiveBufferBytes: number,
): MulticastReceiveSocket {
  const linux = Deno.build.os === "linux";
  // Never prompted for; Deno 2.9 lets only --allow-all read /proc/net/udp (undefined otherwise).
  const before = linux && granted({ name: "read", path: "/proc" }) ? udpSockets(port) : undefined;
  const canInspect = before !== undefined;
  // Opened whenever FFI is granted: the descriptor serves the buffer and the drop count.
  const libc = linux && granted({ name: "ffi" }) ? openLibc() : null;
  const fdsBefore = libc ? datagramFds(libc) : undefined;
  // Synchronous: no other socket of this isolate can open between the two looks.
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: "0.0.0.0",
    port,
    reuseAddress: true,
  });
  const actualPort = (socket.addr as Deno.NetAddr).port;
  let inode: string | undefined;
  if (canInspect) {
    const now = udpSockets(actualPort) ?? new Map();
    const mine = [...now.keys()].filter((i) => !before!.has(i));
    if (mine.length === 1) inode = mine[0];
  }
  let fd: number | undefined;
  if (libc && fdsBefore) {
    const fresh = [...datagramFds(libc)].filter((f) => !fdsBefore.has(f));
    if (fresh.length === 1) fd = fresh[0];
  }
  let buffer: ReceiveBufferInfo;
  try {
    buffer = sizeBuffer(libc, fd, receiveBufferBytes);
  } catch (e) {
    libc?.close();
    socket.close();
    throw e;
  }
  // Drops: SO_MEMINFO on the descriptor (one syscall), else /proc/net/udp, else unknown.
  let source: KernelDropsSource = "unavailable";
  let lib = libc;
  if (lib && fd !== undefined && socketDrops(lib, fd) !== undefined) source = "sockopt";
  else {
    lib?.close();
    lib = null;
    if (inode !== undefined) source = "proc";
  }
  let closed = false;
  return {
    socket,
    buffer,
    kernelDropsSource: source,
    kernelDrops: () => {
      // After close the descriptor may already belong to another socket.
      if (closed) return 0;
      if (source === "sockopt") return socketDrops(lib!, fd!) ?? 0;
      if (source === "proc") return udpSockets(actualPort)?.get(inode!) ?? 0;
      return 0;
    },
    close: () => {
      if (closed) return;
      closed = true;
      try {
        socket.close();
      } catch { /* closed */ }
      lib?.close();
    },
  };
}

/** `SK_MEMINFO_DROPS` of `getsockopt(fd, SOL_SOCKET, SO_MEMINFO)`, or undefined (call failed). */
function socketDrops(libc: NonNullable<Libc>, fd: number): number | undefined {
  const info = new Uint32Array(SK_MEMINFO_DROPS + 1);
  const len = socketOption(libc, fd, SO_MEMINFO, info);
  return len !== undefined && len >= info.byteLength ? info[SK_MEMINFO_DROPS] : undefined;
}

type Libc = ReturnType<typeof openLibc>;

function openLibc() {
  try {
    return Deno.dlopen("libc.so.6", {
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
      // Any cheap call that fails with EBADF on a descriptor that is not open.
      fcntl: { parameters: ["i32", "i32"], result: "i32" },
    });
  } catch {
    return null;
  }
}

/**
 * The open descriptors that are datagram sockets. Descriptors are handed out lowest first, so
 * the scan stops after 1,024 unused ones in a row.
 */
function datagramFds(libc: NonNullable<Libc>): Set<number> {
  const out = new Set<number>();
  const F_GETFD = 1;
  for (let fd = 0, unused = 0; fd < 1 << 20 && unused < 1024; fd++) {
    if (libc.symbols.fcntl(fd, F_GETFD) < 0) {
      unused++;
      continue;
    }
    unused = 0;
    if (socketOptionInt(libc, fd, SO_TYPE) === SOCK_DGRAM) out.add(fd);
  }
  return out;
}

/** `getsockopt(fd, SOL_SOCKET, option)` as an int, or undefined when the call fails. */
function socketOptionInt(libc: NonNullable<Libc>, fd: number, option: number): number | undefined {
  const value = new Int32Array(1);
  return socketOption(libc, fd, option, value) === undefined ? undefined : value[0];
}

/**
 * `getsockopt(fd, SOL_SOCKET, option)` into `into`: the length the kernel wrote, or undefined
 * when the call fails.
 */
function socketOption(
  libc: NonNullable<Libc>,
  fd: number,
  option: number,
  into: Int32Array | Uint32Array,
): number | undefined {
  const len = new Uint32Array([into.byteLength]);
  const ok = libc.symbols.getsockopt(
    fd,
    SOL_SOCKET,
    option,
    new Uint8Array(into.buffer, into.byteOffset, into.byteLength),
    new Uint8Array(len.buffer),
  ) === 0;
  return ok ? len[0] : undefined;
}

function granted(desc: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(desc).state === "granted";
  } catch {
    return false;
  }
}

/**
 * UDP sockets on `port` (IPv4, any local address): inode -> kernel drops; undefined where
 * `/proc/net/udp` cannot be read.
 */
function udpSockets(port: number): Map<string, number> | undefined {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/net/udp");
  } catch {
    return undefined;
  }
  const suffix = ":" + port.toString(16).toUpperCase().padStart(4, "0");
  const lines = text.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (f.length < 13 || !f[1].endsWith(suffix)) continue;
    out.set(f[9], Number(f[12]) || 0);
  }
  return out;
}

function sizeBuffer(libc: Libc, fd: number | undefined, bytes: number): ReceiveBufferInfo {
  const info: ReceiveBufferInfo = { requestedBytes: bytes, grantedBytes: 0, method: "default" };
  if (bytes === 0) return info;
  if (Deno.build.os !== "linux") return { ...info, method: "unsupported" };
  if (!granted({ name: "ffi" })) return { ...info, method: "no-permission" };
  if (!libc) return { ...info, method: "unsupported" };
  if (fd === undefined) return { ...info, method: "failed" };
  const v = new Int32Array([Math.min(bytes, 0x7fffffff)]);
  const ok = libc.symbols.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new Uint8Array(v.buffer), 4) === 0;
  const got = socketOptionInt(libc, fd, SO_RCVBUF);
  return { ...info, grantedBytes: got ?? 0, method: ok ? "setsockopt" : "failed" };
}
