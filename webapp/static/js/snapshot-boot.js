// Runs in <head>, before the first paint (a classic script: the modules run after it): the
// snapshot of the Notes view (#snapshot, inlined by the desktop's cached shell) may show only
// when the page opens on Notes; on #archive, #label/3 or #note/5 it would be the wrong notes.
if (/^#?(new)?$/.test(location.hash)) document.documentElement.classList.add("snapshot-on");
