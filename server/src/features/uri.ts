/** file: URIs <-> paths, the only scheme the verifier pipeline can compile from. */
import { fileURLToPath, pathToFileURL } from 'node:url';

export const URI = {
  toFsPath(uri: string): string {
    return fileURLToPath(uri);
  },
  fromFsPath(path: string): string {
    return pathToFileURL(path).toString();
  },
};
