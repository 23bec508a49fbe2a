// A picked file becomes a stored photo: EXIF read from the original, then resized and hashed.
import {readExif} from './exif.js';
import {sha256Hex} from './hash.js';
import {resizeToJpeg} from './resize.js';

/** Resize and hash a picked photo; keep the original bytes if this browser cannot decode it (HEIC). */
export async function preparePhoto(file) {
  const exif = await readExif(file);
  let blob = file;
  let type = file.type || 'application/octet-stream';
  try {
    blob = (await resizeToJpeg(file)).blob;
    type = 'image/jpeg';
  } catch {
    // The server accepts HEIC and others as they are, and refuses what is not an image.
  }
  return {sha256: await sha256Hex(blob), blob, type, bytes: blob.size, exif};
}
