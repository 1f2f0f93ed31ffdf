// Utility Billing: every task button of the ribbon (manifest.xml) runs the custom script
// of the same name. The names come from the task catalog, embedded in taskpane.html.
(function () {
  const element = document.getElementById("utilbill-tasks");
  const names = element ? JSON.parse(element.textContent) : [];
  for (const name of names) {
    Office.actions.associate(name, async function (event) {
      const authResult =
        typeof globalThis.getAuth === "function"
          ? await globalThis.getAuth()
          : { token: "", provider: "" };
      try {
        await xlwings.runPython({
          auth: authResult.token,
          scriptName: name,
          headers: { "Auth-Provider": authResult.provider },
        });
      } finally {
        event.completed();
      }
    });
  }
})();
