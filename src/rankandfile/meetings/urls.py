from django.urls import path

from rankandfile.meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.index, name="index"),
    path("meetings/new/", views.meeting_create, name="create"),
    path("meetings/preferences/", views.preferences, name="preferences"),
    path("meetings/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("meetings/messages/", views.message_list, name="messages"),
    path("meetings/messages/new/", views.message_new, name="message_new"),
    path("meetings/messages/<int:message_id>/", views.message_detail, name="message"),
    path("meetings/items/<int:item_id>/decide/", views.item_decide, name="decide"),
    path("meetings/motions/<int:motion_id>/", views.motion_detail, name="motion"),
    path("meetings/motions/<int:motion_id>/amend/", views.motion_amend, name="amend"),
    path("meetings/motions/<int:motion_id>/submit/", views.motion_submit, name="submit"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/quorum/", views.meeting_quorum, name="quorum"),
    path("meetings/<int:meeting_id>/do/<str:action>/", views.meeting_action, name="action"),
]
