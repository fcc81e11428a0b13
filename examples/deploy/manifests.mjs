// Reads the material in this folder for the test that checks it (test/interop/deploy.test.ts).

import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export const DEPLOY_DIR = new URL('./', import.meta.url);

/** Every YAML document under k8s/, with the file it came from; throws on a YAML error. */
export function readManifests() {
  const dir = new URL('k8s/', DEPLOY_DIR);
  const manifests = [];
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()) {
    const documents = parseAllDocuments(readFileSync(new URL(file, dir), 'utf8'));
    for (const document of documents) {
      if (document.errors.length > 0) {
        throw new Error(`k8s/${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      }
      const value = document.toJS();
      if (value !== null) manifests.push({ file, value });
    }
  }
  return manifests;
}

/** A file of this folder as text. */
export function readDeployFile(name) {
  return readFileSync(new URL(name, DEPLOY_DIR), 'utf8');
}
