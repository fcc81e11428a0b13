export declare const DEPLOY_DIR: URL;
export declare function readManifests(): { file: string; value: unknown }[];
export declare function readDeployFile(name: string): string;
