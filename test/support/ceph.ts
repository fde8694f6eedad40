/**
 * A real S3-protocol server for the anchor tests: Ceph's RADOS Gateway (Debian's radosgw) on a
 * single-node Ceph cluster (one monitor, one in-memory OSD) in a temporary folder, on loopback
 * ports of its own. About ten seconds to start. Without Debian's ceph-mon, ceph-osd and radosgw
 * (`.ci/run` installs them) the tests that need it are skipped with a notice.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BINARIES = ['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/radosgw', '/usr/bin/radosgw-admin', '/usr/bin/monmaptool', '/usr/bin/ceph'];
let noticeShown = false;

/** True when Ceph's daemons are installed; otherwise prints (once) why S3 tests are skipped. */
export function cephAvailable(): boolean {
  const missing = BINARIES.filter((binary) => !fs.existsSync(binary));
  if (missing.length > 0 && !noticeShown) {
    noticeShown = true;
    console.warn(`NOTICE: ${missing.join(', ')} not installed; the S3 anchor tests are skipped (.ci/run installs Debian's ceph-mon, ceph-osd and radosgw).`);
  }
  return missing.length === 0;
}

export interface CephS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the gateway (the S3 store goes down; the cluster keeps its objects). */
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`ceph test cluster: ${what} not ready after ${seconds}s`);
}

function daemon(args: string[], dir: string, name: string): ChildProcess {
  const log = fs.openSync(path.join(dir, `${name}.out`), 'a');
  const child = spawn(args[0]!, [...args.slice(1), '-f'], { cwd: dir, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return child;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the cluster and its gateway, with one S3 user whose keys it returns.
 *
 * @example
 * const s3 = await startCephS3();
 * try { ... } finally { await s3.stop(); }
 */
export async function startCephS3(): Promise<CephS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-ceph-'));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = crypto.randomUUID();
  const osdUuid = crypto.randomUUID();
  const conf = path.join(dir, 'ceph.conf');
  fs.mkdirSync(path.join(dir, 'mon'));
  fs.mkdirSync(path.join(dir, 'osd'));
  fs.writeFileSync(
    conf,
    [
      '[global]',
      `fsid = ${fsid}`,
      `mon host = v1:127.0.0.1:${monPort}`,
      'auth cluster required = none',
      'auth service required = none',
      'auth client required = none',
      'ms bind msgr2 = false',
      'osd pool default size = 1',
      'osd pool default min size = 1',
      'osd pool default pg num = 8',
      'osd pool default pgp num = 8',
      'mon allow pool size one = true',
      'mon max pg per osd = 1000',
      'osd objectstore = memstore',
      'memstore device bytes = 536870912',
      'osd crush update on start = false',
      'osd class update on start = false',
      `run dir = ${dir}`,
      `log file = ${dir}/$name.log`,
      `admin socket = ${dir}/$name.asok`,
      `mon data = ${dir}/mon`,
      `osd data = ${dir}/osd`,
      '[client.rgw]',
      `rgw frontends = beast endpoint=127.0.0.1:${rgwPort}`,
      '',
    ].join('\n'),
  );
  const ceph = (...args: string[]) => run('/usr/bin/ceph', ['-c', conf, '--connect-timeout', '10', ...args], { cwd: dir });
  const children: ChildProcess[] = [];
  let gateway: ChildProcess | undefined;
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const startGateway = async () => {
    if (gateway && gateway.exitCode === null && gateway.signalCode === null) return;
    gateway = daemon(['/usr/bin/radosgw', '-c', conf, '-n', 'client.rgw'], dir, 'rgw');
    await waitFor('radosgw', async () => (await fetch(endpoint)).ok, 60);
  };
  const stop = async () => {
    await stopProcess(gateway);
    for (const child of children.reverse()) await stopProcess(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('/usr/bin/monmaptool', ['--create', '--clobber', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, path.join(dir, 'monmap')]);
    await run('/usr/bin/ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', path.join(dir, 'monmap')], { cwd: dir });
    children.push(daemon(['/usr/bin/ceph-mon', '-c', conf, '-i', 'a'], dir, 'mon'));
    await waitFor('ceph-mon', async () => (await ceph('osd', 'create', osdUuid)).stdout.trim() === '0', 30);
    await ceph('osd', 'crush', 'add', 'osd.0', '1.0', 'host=localhost', 'root=default');
    await run('/usr/bin/ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid], { cwd: dir });
    children.push(daemon(['/usr/bin/ceph-osd', '-c', conf, '-i', '0'], dir, 'osd'));
    await waitFor('ceph-osd', async () => (await ceph('osd', 'stat')).stdout.includes('1 up'), 30);
    await startGateway();
    const accessKeyId = 'AOSTESTANCHOR';
    const secretAccessKey = crypto.randomUUID();
    await run('/usr/bin/radosgw-admin', ['-c', conf, 'user', 'create', '--uid=anchors', '--display-name=anchors', `--access-key=${accessKeyId}`, `--secret=${secretAccessKey}`], { cwd: dir });
    return {
      endpoint,
      accessKeyId,
      secretAccessKey,
      stopGateway: () => stopProcess(gateway),
      startGateway,
      stop,
    };
  } catch (error) {
    const logs = ['mon.a.log', 'osd.0.log', 'client.rgw.log', 'rgw.out']
      .map((name) => path.join(dir, name))
      .filter((file) => fs.existsSync(file))
      .map((file) => `--- ${path.basename(file)}\n${fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')}`);
    await stop();
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
  }
}
