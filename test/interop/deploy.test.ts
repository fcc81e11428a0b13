// examples/deploy is material users copy, so each file is parsed, cross-checked against the
// echo example it deploys, and (where the binaries exist; in CI they must) validated by
// `haproxy -c` and `nginx -t` themselves.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDeployFile, readManifests } from '../../examples/deploy/manifests.mjs';
import { readConfig } from '../../examples/echo-common/index.mjs';
import {
  haproxyTool,
  makeCertificates,
  nginxStreamModuleLine,
  nginxTool,
  opensslTool,
  ROOT,
  runCommand,
  stopAll,
  tempDir,
  toolsCheck,
} from './harness.js';

afterAll(stopAll);

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML
type Manifest = any;
const manifests = readManifests() as { file: string; value: Manifest }[];
const find = (kind: string, name: string) =>
  manifests.find((m) => m.value.kind === kind && m.value.metadata?.name === name)?.value;

describe('examples/deploy/k8s', () => {
  const deployment = find('Deployment', 'echo');
  const container = deployment?.spec.template.spec.containers[0];
  const env = Object.fromEntries(
    (container?.env ?? [])
      .filter((e: Manifest) => 'value' in e)
      .map((e: Manifest) => [e.name, e.value]),
  );

  it('every document has an apiVersion, a kind and a name', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    for (const { file, value } of manifests) {
      expect(value.apiVersion, file).toMatch(/^([a-z.0-9]+\/)?v1$/);
      expect(value.kind, file).toMatch(/^[A-Z]\w+$/);
      expect(value.metadata?.name, file).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it('the Deployment sets the settings the echo example reads, and they parse', () => {
    expect(deployment).toBeDefined();
    const config = readConfig(env);
    const ports = Object.fromEntries(
      container.ports.map((p: Manifest) => [p.name, p.containerPort]),
    );
    expect(config.host).toBe('0.0.0.0');
    expect(ports).toEqual({ http: config.port, proxy: config.proxyPort });
    expect(config.trusted).not.toBe(true);
    for (const name of ['POD_NAME', 'POD_NAMESPACE', 'POD_IP', 'NODE_NAME']) {
      expect(
        container.env.some((e: Manifest) => e.name === name && e.valueFrom?.fieldRef),
        name,
      ).toBe(true);
    }
    expect(container.readinessProbe.httpGet.port).toBe('http');
  });

  it('two Services select the pods: the PROXY one with the cloud annotations, the plain one without', () => {
    const labels = deployment.spec.template.metadata.labels;
    const proxy = find('Service', 'echo-proxy');
    const plain = find('Service', 'echo-plain');
    for (const service of [proxy, plain]) {
      expect(service.spec.type).toBe('LoadBalancer');
      expect(service.spec.selector).toEqual(labels);
    }
    expect(proxy.spec.ports[0].targetPort).toBe('proxy');
    expect(plain.spec.ports[0].targetPort).toBe('http');
    expect(proxy.metadata.annotations).toEqual({
      'service.kubernetes.io/ibm-load-balancer-cloud-provider-enable-features': 'proxy-protocol',
      'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
    });
    expect(plain.metadata.annotations).toBeUndefined();
  });

  it('the ingress example turns on use-proxy-protocol and routes to the plain Service', () => {
    const configMap = find('ConfigMap', 'ingress-nginx-controller');
    expect(configMap.data['use-proxy-protocol']).toBe('true');
    expect(configMap.data['proxy-real-ip-cidr']).toMatch(/^[\d.:/a-f, ]+$/);
    expect(configMap.data['proxy-protocol-header-timeout']).toMatch(/^\d+s$/);
    // The log format is JSON once nginx fills in the variables.
    const format = configMap.data['log-format-upstream'].replace(/\$\w+/g, '0');
    expect(Object.keys(JSON.parse(format))).toContain('upstream_connect_time');
    const controller = find('Service', 'ingress-nginx-controller');
    expect(
      controller.metadata.annotations[
        'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol'
      ],
    ).toBe('*');
    const ingress = find('Ingress', 'echo');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    const target = find('Service', backend.name);
    expect(target.spec.ports.map((p: Manifest) => p.name)).toContain(backend.port.name);
    expect(env.TRUST_PROXY).toBeDefined();
  });

  it('the Dockerfile builds and starts the example the Deployment runs', () => {
    const dockerfile = readDeployFile('Dockerfile');
    const workdir = /^WORKDIR \/src\/(\S+)$/m.exec(dockerfile)?.[1] as string;
    const entry = /^CMD \["node", "(\S+)"\]$/m.exec(dockerfile)?.[1] as string;
    expect(existsSync(join(ROOT, workdir, entry))).toBe(true);
    expect(dockerfile).toContain('@proxyproto/example-express-echo^...');
  });
});

const haproxyTools = toolsCheck(haproxyTool, opensslTool);

describe.skipIf(haproxyTools.skip)('examples/deploy/haproxy.cfg', () => {
  it('passes haproxy -c (with throwaway certificates in place of the real ones)', async () => {
    if (haproxyTools.failure) throw new Error(haproxyTools.failure);
    const dir = tempDir('deploy-haproxy');
    const certs = await makeCertificates(dir);
    const config = readDeployFile('haproxy.cfg')
      .replace('/etc/haproxy/certs/site.pem', certs.serverPem)
      .replace('/etc/haproxy/certs/clients-ca.crt', certs.caFile);
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const check = await runCommand('haproxy', ['-c', '-f', file]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('sends a PROXY header to every PROXY_PORT server, and health checks it', () => {
    const servers = readDeployFile('haproxy.cfg')
      .split('\n')
      .filter((line: string) => /^\s+server /.test(line));
    const proxied = servers.filter((line) => line.includes(':9080'));
    expect(proxied.length).toBeGreaterThan(0);
    for (const line of proxied) {
      expect(line).toMatch(/ send-proxy(-v2(-ssl-cn)?)? /);
      expect(line).toContain('check-send-proxy');
    }
    for (const line of servers.filter((l) => l.includes(':8080'))) {
      expect(line).not.toContain('send-proxy');
    }
  });
});

const nginxTools = toolsCheck(nginxTool);

describe.skipIf(nginxTools.skip)('examples/deploy/nginx.conf', () => {
  it('passes nginx -t', async () => {
    if (nginxTools.failure) throw new Error(nginxTools.failure);
    const dir = tempDir('deploy-nginx');
    // /dev/stdout cannot be opened when stdout is the pipe of a child process.
    let config = readDeployFile('nginx.conf').replaceAll('/dev/stdout', join(dir, 'access.log'));
    // As its comment says: the load_module line only where stream is a dynamic module.
    if (nginxStreamModuleLine() === '') config = config.replace(/^load_module .*$/m, '');
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, config);
    const globals = `pid ${join(dir, 'nginx.pid')}; error_log stderr;`;
    const check = await runCommand('nginx', ['-t', '-p', dir, '-c', file, '-g', globals]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('turns proxy_protocol on for the PROXY_PORT upstream only', () => {
    const config = readDeployFile('nginx.conf');
    const servers: string[] = config.split(/\n\s*server \{/).slice(1);
    const byUpstream = Object.fromEntries(
      servers.map((block) => [
        /proxy_pass (\w+);/.exec(block)?.[1],
        block.includes('proxy_protocol on;'),
      ]),
    );
    expect(byUpstream).toEqual({ echo_proxy: true, echo_plain: false });
    expect(config).toMatch(/upstream echo_proxy \{[^}]*:9080;/);
  });
});
