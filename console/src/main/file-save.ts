import path from 'node:path';
import type { SaveFileRequest, SaveFileResult } from '../shared/ipc.js';

export interface SaveDialogLike {
  showSaveDialog(options: {
    title: string;
    defaultPath: string;
    filters: { name: string; extensions: string[] }[];
  }): Promise<{ canceled: boolean; filePath?: string }>;
}

/** Asks where to save (the desktop's own dialog), then writes the file. */
export async function saveFileWithDialog(
  dialog: SaveDialogLike,
  writeFile: (file: string, content: string) => Promise<void>,
  downloadsDir: string,
  request: SaveFileRequest,
): Promise<SaveFileResult> {
  const choice = await dialog.showSaveDialog({
    title: 'Export',
    defaultPath: path.join(downloadsDir, request.suggestedName),
    filters: [{ name: request.filterName, extensions: request.extensions }],
  });
  if (choice.canceled || !choice.filePath) return { saved: false, path: null };
  await writeFile(choice.filePath, request.content);
  return { saved: true, path: choice.filePath };
}
