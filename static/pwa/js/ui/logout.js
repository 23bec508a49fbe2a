// Logging out warns when something is still queued: it stays on the phone for its owner.
import {logOut} from '../auth.js';
import {t} from '../i18n.js';
import {countWaiting} from '../outbox.js';

export function mountLogout() {
  const dialog = document.querySelector('[data-field="logout-dialog"]');
  document.querySelector('[data-action="logout"]').addEventListener('click', async () => {
    const waiting = await countWaiting();
    if (!waiting) {
      await logOut();
      return;
    }
    dialog.querySelector('[data-slot="warning"]').textContent = t('logout.warning', {n: waiting});
    dialog.showModal();
  });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'confirm') logOut();
  });
}
