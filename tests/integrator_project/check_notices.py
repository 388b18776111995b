from pytest_bdd import scenarios

scenarios("notices.feature")
