// A picked file becomes a stored photo: EXIF read from the original, then resized and hashed.
import {readExif} from './exif.js';
import {sha256Hex} from './hash.js';
import {resizeToJpeg} from './resize.js';

// Phones and browsers often leave an HEIC file's type empty: name it from the file name instead.
const TYPE_BY_EXTENSION = {heic: 'image/heic', heif: 'image/heif'};

/**
 * Resize and hash a picked photo; keep the original bytes if this browser cannot decode it (HEIC
 * in Chromium). `previewable` says whether the stored blob can be shown in an <img>: an undecodable
 * original cannot, and the form shows a placeholder with its time and size instead.
 */
export async function preparePhoto(file) {
  const exif = await readExif(file);
  let blob = file;
  let type = file.type || TYPE_BY_EXTENSION[/\.(\w+)$/.exec(file.name || '')?.[1].toLowerCase()]
    || 'application/octet-stream';
  let previewable = false;
  try {
    blob = (await resizeToJpeg(file)).blob;
    type = 'image/jpeg';
    previewable = true;
  } catch {
    // The server accepts HEIC and others as they are, and refuses what is not an image.
  }
  return {sha256: await sha256Hex(blob), blob, type, bytes: blob.size, exif, previewable};
}

/** "HEIC", "JPEG", …: what kind of file a photo without a preview is. */
export function formatName(type) {
  const subtype = (type || '').split('/')[1] || '';
  return subtype && subtype !== 'octet-stream' ? subtype.toUpperCase() : '';
}
