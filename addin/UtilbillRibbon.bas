Attribute VB_Name = "UtilbillRibbon"
' Utility Billing: the one ribbon callback behind every button of the "Utility Billing" tab.
'
' Each button's tag is the name of a clerk task in Python's macros_py package (bill_run,
' final_bill, ...). OnButton hands that tag to Python through xlwings' RunPython, so a new
' task needs a catalog entry and a rebuilt add-in, never new VBA.
'
' Import this file once into the add-in's VBA project (addin/README.md, "One-time VBA
' step"). It uses RunPython and GetConfig from the xlwings module that the add-in
' template already contains.
Option Explicit

#If Not Mac Then
  #If VBA7 Then
    Private Declare PtrSafe Function SetEnvironmentVariableW Lib "kernel32" _
        (ByVal lpName As LongPtr, ByVal lpValue As LongPtr) As Long
  #Else
    Private Declare Function SetEnvironmentVariableW Lib "kernel32" _
        (ByVal lpName As Long, ByVal lpValue As Long) As Long
  #End If
#End If

' The ribbon's onAction for every task button.
Public Sub OnButton(control As IRibbonControl)
    RunTask control.Tag
End Sub

' Runs one task by name; also handy from the Immediate window: RunTask "bill_run"
Public Sub RunTask(ByVal task As String)
    If Not IsTaskName(task) Then
        MsgBox "This button has no valid task name (tag '" & task & "').", _
            vbExclamation, "Utility Billing"
        Exit Sub
    End If
    ExportUtilbillHome
    RunPython "import macros_py; macros_py.run('" & task & "')"
End Sub

' Only lower-case letters, digits and underscores reach Python: a tag can never inject code.
Private Function IsTaskName(ByVal task As String) As Boolean
    Dim i As Long
    If Len(task) = 0 Or Len(task) > 64 Then Exit Function
    For i = 1 To Len(task)
        If Not (Mid$(task, i, 1) Like "[a-z0-9_]") Then Exit Function
    Next i
    IsTaskName = True
End Function

' Hands the utility folder named in the add-in's config (the UTILBILL_HOME row of the
' myaddin.conf sheet, or of a myaddin.conf file) to the Python processes that Excel starts
' from now on, as the UTILBILL_HOME environment variable that utilbill.home reads.
Private Sub ExportUtilbillHome()
    Dim home As String
    home = GetConfig("UTILBILL_HOME", "")
    If home = "" Then Exit Sub
    #If Not Mac Then
        SetEnvironmentVariableW StrPtr("UTILBILL_HOME"), StrPtr(home)
    #End If
End Sub

' Runs when Excel loads the add-in, so that worksheet functions (whose Python process may
' start before any button is pressed) also see UTILBILL_HOME.
Public Sub Auto_Open()
    ExportUtilbillHome
End Sub
