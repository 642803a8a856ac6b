/** What resolveImage() hands to the VM planner: local files, ready to boot. */
export interface ResolvedImage {
  /** Path of the disk image (a cached download, a local file, or a local build). */
  disk: string;
  diskFormat: "qcow2" | "raw";
  /** Direct kernel boot: kernel, initrd and the kernel command line, when the image entry has them. */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** The `images[].location` this came from. */
  location: string;
}

/**
 * Progress reported while images are fetched or built. The CLI prints these (see progress.ts); the
 * host agent may write them as event lines instead.
 */
export type ProgressEvent =
  | { type: "download-start"; url: string; totalBytes?: number }
  | {
      type: "download-progress";
      url: string;
      receivedBytes: number;
      totalBytes?: number;
      bytesPerSecond: number;
      etaSeconds?: number;
    }
  | { type: "download-done"; url: string; receivedBytes: number; seconds: number; cached: boolean }
  | { type: "warning"; message: string }
  | { type: "build-step"; step: string; message: string }
  | { type: "build-done"; dir: string; seconds: number; cached: boolean };

export type ProgressListener = (event: ProgressEvent) => void;
