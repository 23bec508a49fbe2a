// Entry point of the inspector app: screens first (they work offline), then the device token,
// the service worker and the sync triggers.
import {ensureDeviceToken, goToLogin} from './auth.js';
import {mountCaptureForm} from './capture/form.js';
import {dbEvents} from './db.js';
import {apply, toggleLang} from './i18n.js';
import {registerServiceWorker} from './sw-bridge.js';
import {requestSync, startTriggers} from './sync/triggers.js';
import {mountAssessView} from './ui/assess-view.js';
import {mountBadge} from './ui/badge.js';
import {mountLogout} from './ui/logout.js';
import {mountOutboxView} from './ui/outbox-view.js';
import {mountReportsView} from './ui/reports-view.js';
import {mountStatus, showLoginNeeded} from './ui/status.js';
import {mountStorage} from './ui/storage.js';
import {mountTabs} from './ui/tabs.js';
import {toast} from './ui/toast.js';
import {showUpdatePrompt} from './ui/update-prompt.js';

async function main() {
  apply();
  mountTabs();
  mountStatus();
  const capture = mountCaptureForm(document.querySelector('#capture-form'), {onSaved: requestSync});
  const assess = mountAssessView({onQueued: requestSync});
  const views = [
    mountOutboxView({
      onEdit: (report) => {
        location.hash = '#capture';
        capture.edit(report);
      },
      onFixVisit: () => {
        location.hash = '#assess';
        assess.openCurrent();
      },
    }),
    mountReportsView({onQueued: requestSync}),
    assess,
  ];
  mountBadge();
  mountLogout();
  document.querySelector('[data-action="lang"]').addEventListener('click', () => {
    toggleLang();
    capture.relabel();
    for (const view of views) view.render();
  });
  dbEvents.addEventListener('blocking', () => toast('db.blocking', {}, {error: true}));
  dbEvents.addEventListener('blocked', () => toast('db.blocked', {}, {error: true}));
  await capture.ready;
  performance.mark('xuncha-ready');
  document.body.dataset.ready = 'true'; // the capture form is usable from here on (bench/pwa.py, tests)
  assess.start(); // the 测评 tab after the capture form, which comes first

  registerServiceWorker({onUpdateReady: showUpdatePrompt}).catch(() => {});
  const who = await ensureDeviceToken();
  const whoField = document.querySelector('[data-field="who"]');
  whoField.textContent = who.username || '';
  whoField.title = who.username || ''; // the header may cut a long name short
  if (who.needsLogin) {
    if (navigator.onLine) goToLogin();
    else showLoginNeeded();
    return;
  }
  mountStorage();
  startTriggers();
}

main();
